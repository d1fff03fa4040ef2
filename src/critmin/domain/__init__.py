"""The vocabulary of critmin: pydantic models and enums, no I/O."""
