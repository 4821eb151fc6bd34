"""The legacy O2O monolith: one FastAPI app over one database (see docs/legacy-api.md)."""
