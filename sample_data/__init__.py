"""Synthetic data of Parcours & Impact, in the exchange format (docs/format.md).

`generator.generate(scale, seed)` yields the tables chunk by chunk; the scales are
`demo`, `departement` and `national` (docs/cli.md). The model and its figures are
described in docs/sample_data.md.
"""

from sample_data.generator import PERIODE, SCALES, TABLES, Scale, estimated_rows, generate

__all__ = ["PERIODE", "SCALES", "TABLES", "Scale", "estimated_rows", "generate"]
