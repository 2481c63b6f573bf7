"""`mlimpact serve`: the app on one port, served by several Streamlit processes (`mlimpact.serve`, docs/cli.md)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import click

from mlimpact.cli.common import Exit, err, out

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"


def register(app: click.Group) -> None:
    """Add `serve` to the `mlimpact` group."""
    app.command("serve", context_settings={"ignore_unknown_options": True})(serve)


def streamlit_setting(option: str, default):
    """A server setting as `streamlit run` reads it: its environment variable (STREAMLIT_SERVER_PORT), else
    .streamlit/config.toml of the current folder, else `default`."""
    section, name = option.split(".")
    value = os.environ.get(f"STREAMLIT_{section}_{name}".upper())
    if value:
        return value
    try:
        settings = tomllib.loads(Path(".streamlit/config.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return default
    value = settings.get(section, {}).get(name)
    return default if value in (None, "") else value


def _port(value) -> int:
    if not str(value).isdigit() or not 0 < int(value) < 65536:
        err.print(f"Erreur : port invalide « {value} » (STREAMLIT_SERVER_PORT ou .streamlit/config.toml) ; attendu un nombre entre 1 et 65535.",
                  markup=False)
        raise Exit(2)
    return int(value)


@click.option("--processus", type=click.IntRange(1, 16), default=None,
              help="Nombre de processus de l'application (par défaut un par cœur, quatre au plus).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port d'écoute (par défaut celui de Streamlit : STREAMLIT_SERVER_PORT, .streamlit/config.toml, sinon 8501).")
@click.option("--adresse", default=None,
              help="Adresse d'écoute (par défaut celle de Streamlit : STREAMLIT_SERVER_ADDRESS, .streamlit/config.toml, sinon toutes).")
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def serve(processus: int | None, port: int | None, adresse: str | None, streamlit_args: tuple[str, ...]) -> None:
    """Lance l'application : plusieurs processus Streamlit derrière un seul port (les sessions réparties entre eux).

    Les options en plus (--server.maxUploadSize 500…) sont passées à chaque processus Streamlit.
    """
    from mlimpact.serve import default_processes
    from mlimpact.serve import serve as run

    if not DASHBOARD.exists():
        err.print(f"Erreur : {DASHBOARD} est introuvable ; lancez la commande depuis une copie complète du dépôt.", markup=False)
        raise Exit(2)
    code = run(
        processus or default_processes(),
        adresse if adresse is not None else streamlit_setting("server.address", "0.0.0.0"),
        port or _port(streamlit_setting("server.port", 8501)),
        DASHBOARD,
        list(streamlit_args),
        say=lambda message: out.print(message, markup=False, soft_wrap=True),
    )
    if code:
        raise Exit(code)
