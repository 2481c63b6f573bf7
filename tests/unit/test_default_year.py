"""The year a page opens on (`reports.contenu.derniere_annee_complete`), shared by the sidebar and the precomputation."""

import datetime as dt

import pytest

from reports.contenu import derniere_annee_complete


@pytest.mark.parametrize(
    ("as_of", "first_year", "expected"),
    [
        (dt.date(2026, 10, 30), 2023, 2025),  # the data stop during 2026: 2025 is the last whole year
        (dt.date(2025, 12, 31), 2023, 2025),  # the year's last day: the year itself is complete
        (dt.date(2026, 1, 1), 2023, 2025),
        (dt.date(2026, 6, 30), 2026, 2026),  # data of one year only: that year, even incomplete
    ],
)
def test_the_last_complete_year(as_of, first_year, expected):
    assert derniere_annee_complete(as_of, first_year) == expected
