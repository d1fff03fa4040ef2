"""Use cases: read from the store, call analytics, return plain results."""
