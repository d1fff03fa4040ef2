"""Readers and loaders for every source format; each import is atomic."""
