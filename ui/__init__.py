"""Streamlit pages. Interface only: everything they do is a call into ingest/ or retrieval/."""
