"""`mlimpact rapport`: the PDF report for the Conseil départemental (filled in by the director's view)."""

from __future__ import annotations

import click


def register(app: click.Group) -> None:
    """Add the report command to the `mlimpact` group."""
