"""Streamlit interface: the entry point and its pages. Run: ./run chat"""

from __future__ import annotations

import streamlit as st

from ui.chat import chat_page


def main() -> None:
    st.set_page_config(page_title="Dokumentassistenten", page_icon="📄", layout="wide")
    pages = [
        st.Page(chat_page, title="Fråga", icon="💬", url_path="fraga", default=True),
        st.Page("ui/documents.py", title="Dokument", icon="📁", url_path="dokument"),
        st.Page("ui/responsibility.py", title="Ansvar", icon="🧭", url_path="ansvar"),
    ]
    st.navigation(pages).run()


main()
