"""The shared core: records, settings, errors, the store and the embedder seam."""
