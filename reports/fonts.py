"""The TrueType font the PDF embeds: DejaVu Sans, which prints `€` and the narrow no-break space.

The PDF core fonts (Helvetica…) are Latin-1 only: `1 234,5 €` in French format
cannot be printed with them. `make test` installs Debian's fonts-dejavu-core;
elsewhere, point MLIMPACT_FONT_DIR at a folder holding DejaVuSans.ttf and
DejaVuSans-Bold.ttf.
"""

from __future__ import annotations

import os
from pathlib import Path

FONT_ENV = "MLIMPACT_FONT_DIR"
DOSSIERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
    Path("/Library/Fonts"),
)
FICHIERS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class PoliceIntrouvable(RuntimeError):
    """The PDF cannot be built without its font (French message: what to install)."""


def dossiers() -> list[Path]:
    env = os.environ.get(FONT_ENV, "").strip()
    return ([Path(env)] if env else []) + list(DOSSIERS)


def police() -> dict[str, Path]:
    """{style: path} of the regular and bold DejaVu Sans; PoliceIntrouvable when either is missing."""
    for folder in dossiers():
        paths = {style: folder / name for style, name in FICHIERS.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    cherches = ", ".join(str(d) for d in dossiers())
    raise PoliceIntrouvable(
        "Police DejaVu Sans introuvable (DejaVuSans.ttf et DejaVuSans-Bold.ttf) : le rapport PDF en a besoin pour "
        f"imprimer « € » et les nombres au format français. Dossiers cherchés : {cherches}. Installez le paquet "
        f"fonts-dejavu-core (apt-get install fonts-dejavu-core) ou indiquez un dossier avec {FONT_ENV}."
    )
