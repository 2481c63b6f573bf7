"""`mlimpact indicateurs`: every indicator for a scope and a period (spec/CLI.md)."""

from __future__ import annotations

import click


def register(app: click.Group) -> None:
    """Add the indicator commands to the `mlimpact` group (filled in by the indicator engine)."""
