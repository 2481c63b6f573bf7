"""Parcours & Impact: the data side (store, exchange format, access rules, CLI)."""

__version__ = "0.1.0"
