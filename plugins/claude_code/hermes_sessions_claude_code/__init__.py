"""Source plugin (being written)."""
