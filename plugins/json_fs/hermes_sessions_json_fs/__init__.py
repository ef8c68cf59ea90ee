"""Web UI sessions as JSON files on any fsspec filesystem (placeholder replaced below)."""
