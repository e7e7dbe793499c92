"""One router per resource: search, items, recipes, documents, ingest, service."""
