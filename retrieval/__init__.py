"""Hybrid retrieval and extractive answers over the ingested documents."""
