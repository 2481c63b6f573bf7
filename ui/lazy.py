"""Parts of a page that run only while open: Streamlit's stateful expanders, tabs and popovers.

Made with `on_change="rerun"`, such a container knows whether it is open (`.open`) and a click on it runs the
page again; what is inside then runs only for whoever opened it. A page of folded tables, closed tabs and
closed definitions no longer builds and sends them on every run of every session (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def when_open(container, section: Callable[[], None]) -> None:
    """`section` drawn inside `container` (made with `on_change="rerun"`) only while it is open."""
    with container:
        if container.open:
            section()


def fold(label: str, key: str, section: Callable[[], None], expanded: bool = False, icon: str | None = None) -> None:
    """An expander whose content runs only while it is unfolded."""
    when_open(st.expander(label, expanded=expanded, icon=icon, key=key, on_change="rerun"), section)


def tabs(sections: dict[str, Callable[[], None]], key: str) -> None:
    """Tabs of which only the open one runs. Their labels must stay the same from run to run: the open tab is
    kept by its label."""
    for tab, section in zip(st.tabs(list(sections), key=key, on_change="rerun"), sections.values(), strict=True):
        when_open(tab, section)
