"""mlkb's ingest wing."""
