"""The ``critmin`` command line: thin Typer commands over ``critmin.services``."""
