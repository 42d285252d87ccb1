"""The soloists' table: every player has an era, and the lead instrument each is heard on fits his
real solos (their notes mostly in that instrument's range, their middle well inside the line it is
composed in)."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from model.arrange import LEADS
from model.soloists import INSTRUMENTS, SOLOISTS, instrument_of


def test_every_instrument_is_a_lead_and_every_player_is_known() -> None:
    assert set(INSTRUMENTS) <= set(SOLOISTS)
    assert set(INSTRUMENTS.values()) <= set(LEADS)
    assert set(SOLOISTS) - set(INSTRUMENTS) == {"GerryMulligan", "PepperAdams"}  # baritone: no lead


@pytest.mark.parametrize(
    ("name", "instrument"),
    [
        ("Miles Davis", "trumpet"),
        ("Charlie Parker", "alto sax"),
        ("David Liebman", "soprano sax"),
        ("J.J. Johnson", "trombone"),
        ("Gerry Mulligan", None),
        ("bebop", None),
        ("Nobody", None),
    ],
)
def test_instrument_of_a_display_name(name: str, instrument: str | None) -> None:
    assert instrument_of(name) == instrument


def test_each_players_solos_fit_his_instrument(shared_data: Path) -> None:
    """The ranges leave out altissimo, which the trumpeters and tenors reach now and then (Gillespie's
    solos: 87% of the notes inside), so most, not all, notes must fit; a player filed under the wrong
    saxophone or brass would have a third or more outside."""
    pitches: dict[str, list[int]] = defaultdict(list)
    for melody in sorted((shared_data / "wjazzd" / "melody").glob("*.csv")):
        with melody.open(newline="") as rows:
            pitches[melody.name.split("_")[0]] += [round(float(row["pitch"])) for row in csv.DictReader(rows)]
    for performer, instrument in INSTRUMENTS.items():
        lead, notes = LEADS[instrument], pitches[performer]
        inside = sum(lead.low <= pitch <= lead.high for pitch in notes) / len(notes)
        low, high = lead.line_range
        assert inside >= 0.85, (performer, instrument, inside)
        if instrument != "piano":  # Red Garland's one solo is transcribed around F3, left-hand height
            assert low + 5 <= statistics.median(notes) <= high - 5, (performer, instrument)
