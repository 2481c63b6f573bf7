"""Indicators: the registry of definitions, the engine that computes them in SQL, masking, impact.

    from indicators.engine import compute, breakdown, trend, compare
    from indicators.registry import REGISTRY, REGISTRY_VERSION

Kept import-light on purpose: `indicators.types` and the registry load without
the database layer; the engine's public functions are re-exported lazily.
"""

from __future__ import annotations

_ENGINE = ("compute", "breakdown", "trend", "compare", "resolve_as_of", "PerimetreInconnu")


def __getattr__(name: str):
    if name in _ENGINE:
        from indicators import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'indicators' has no attribute {name!r}")
