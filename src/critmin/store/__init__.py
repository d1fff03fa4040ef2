"""Persistence: SQLAlchemy tables, sessions, Alembic migrations and repositories."""
