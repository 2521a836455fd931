"""Alembic migrations of the SQL store (configured in code: heron.store.migrate)."""
