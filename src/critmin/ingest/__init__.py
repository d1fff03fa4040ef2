"""Readers and loaders for every source format; each import is atomic.

One module per source: ``usgs`` (+ ``usgs_prices``), ``wgi``, ``baci``, ``hs``,
``countries``, ``curated`` (measures and prices YAML) and ``exchange`` (the project
exchange format, read safely and streamed by ``documents``). ``datasets`` is the
registry of sources; ``reference.load_reference`` loads everything bundled. Bad input
raises :class:`~critmin.ingest.errors.IngestError`.
"""
