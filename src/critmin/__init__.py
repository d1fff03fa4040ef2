"""critmin: critical-minerals supply-chain intelligence and decisions."""

__version__ = "0.1.0"
