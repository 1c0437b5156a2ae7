"""Evaluation of retrieval and refusals: the set format, the metrics, the run and its CLI.

A stage of its own: it may import core, ingest and retrieval; none of them imports it.
"""
