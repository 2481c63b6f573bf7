"""Gestures on the real app under AppTest that have no method of their own there."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TABLE_FOLD = "Voir les chiffres en tableau"
THEMES_FOLD = "Voir les quatre thèmes"  # the Impact page's breakdowns, built only when unfolded


def user_key(expander) -> str:
    """The key a stateful expander was given (its element id ends with it: `$$ID-<hash>-<key>`)."""
    return expander.proto.id.split("-", 2)[2]


def unfold(at: AppTest, label: str) -> AppTest:
    """Unfold every stateful expander labelled `label`, as a click on it does (what is inside is built only
    when unfolded)."""
    folds = [e for e in at.expander if e.label == label]
    assert folds, f"no « {label} » on the page"
    for fold in folds:
        at.session_state[user_key(fold)] = True
    return at.run()


def unfold_tables(at: AppTest) -> AppTest:
    """Unfold the Impact page's themes when folded, then every chart's table (« Voir les chiffres en tableau »):
    every figure the page can show."""
    if any(e.label == THEMES_FOLD for e in at.expander):
        unfold(at, THEMES_FOLD)
    return unfold(at, TABLE_FOLD)
