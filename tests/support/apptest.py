"""Gestures on the real app under AppTest that have no method of their own there."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TABLE_FOLD = "Voir les chiffres en tableau"


def user_key(expander) -> str:
    """The key a stateful expander was given (its element id ends with it: `$$ID-<hash>-<key>`)."""
    return expander.proto.id.split("-", 2)[2]


def unfold_tables(at: AppTest) -> AppTest:
    """Unfold every chart's table, as a click on « Voir les chiffres en tableau » does (they are built only
    when unfolded)."""
    folds = [e for e in at.expander if e.label == TABLE_FOLD]
    assert folds, "no chart table on the page"
    for fold in folds:
        at.session_state[user_key(fold)] = True
    return at.run()
