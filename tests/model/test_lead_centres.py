"""A line for a lead is centred where the instrument's real players sit, with the style's offset taken
within the soloist's own instrument (model/lead_centres.py); lines without a lead are as before."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from model.arrange import LEADS
from model.compose import ComposeError, Composer, ComposeRequest
from model.lead_centres import CENTRES_FILE, load_centres, main
from model.piece import Piece
from model.register import MARGIN, centre_of_range, within_range
from model.style_priors import load_priors
from tests.extend_helpers import notes_before, replayed_ticks

SEEDS = range(1000, 1008)  # never the evaluation's seeds (0..n-1)


def test_the_committed_table_is_rebuilt_byte_for_byte_from_the_real_solos(
    shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lead_centres.json"
    assert main(["--build", "--wjazzd", str(shared_data / "wjazzd"), "--out", str(out)]) == 0
    assert out.read_bytes() == CENTRES_FILE.read_bytes()


def test_each_leads_centre_is_where_its_real_players_sit() -> None:
    """The medians of the real solos' median pitches (WJazzD, by the players filed under each lead):
    tenors around Eb4, trumpets around Bb4, and every lead with players has one but the flute."""
    centres = load_centres()
    assert set(centres.instruments) == set(LEADS) - {"flute"}
    expected = {
        "tenor sax": (63, 66),
        "alto sax": (65, 68),
        "soprano sax": (70, 72.5),
        "trumpet": (69, 72),
        "trombone": (60, 63),
        "clarinet": (74, 77),
    }
    for lead, (low, high) in expected.items():
        assert low <= centres.instruments[lead] <= high, lead
    assert centres.solos["tenor sax"] > 100 and centres.solos["trumpet"] > 100


def test_a_styles_offset_is_taken_within_the_soloists_own_instrument() -> None:
    centres = load_centres()
    tenor, alto = centres.instruments["tenor sax"], centres.instruments["alto sax"]
    coltrane, parker = centres.soloists["John Coltrane"], centres.soloists["Charlie Parker"]
    assert centres.centre("tenor sax", None, None) == tenor
    assert centres.centre("tenor sax", "postbop", "John Coltrane") == coltrane  # his own tenor
    assert centres.centre("alto sax", "bebop", "Charlie Parker") == parker
    # "like Parker on tenor": as high in the tenor as Parker sits in the alto
    assert centres.centre("tenor sax", "bebop", "Charlie Parker") == tenor + parker - alto
    # Liebman's soprano against the sopranos, not against the whole corpus (5 semitones above it)
    assert (
        abs(centres.centre("soprano sax", "postbop", "David Liebman") - centres.soloists["David Liebman"])
        < 1e-9
    )
    # an era: its players on this lead; none there: the lead's own centre
    assert centres.centre("tenor sax", "swing", None) == centres.eras["swing"]["tenor sax"] < tenor
    assert centres.centre("tenor sax", "traditional", None) == tenor
    # no players on the flute: its sweet spot, moved as the style sits in its own instrument
    assert centres.centre("flute", None, None) == LEADS["flute"].sweet
    assert centres.centre("flute", "bebop", "Charlie Parker") == LEADS["flute"].sweet + parker - alto
    assert centres.centre("tenor sax", "cool", "Gerry Mulligan") == tenor  # a baritone: no lead, no offset


def test_the_centre_stays_a_margin_inside_the_line_range() -> None:
    """The piano's real players (Hancock, and Garland transcribed at left-hand height) sit at 61, below
    the piano lead's line range, which keeps room for the comping under it: held at its lowest centre."""
    low, high = LEADS["piano"].line_range
    assert within_range(low, high, load_centres().centre("piano", None, None)) == low + MARGIN
    low, high = LEADS["tenor sax"].line_range
    assert within_range(low, high, 63.0) == 63.0
    assert within_range(low, high, 80.0) == high - MARGIN


def bot_line(lead: str, like: str | None, seed: int, bars: int = 16) -> ComposeRequest:
    low, high = LEADS[lead].line_range
    return ComposeRequest(bars, 160, seed=seed, like=like, low=low, high=high, lead=lead)


def median_of_medians(pieces: list[Piece]) -> float:
    return statistics.median(
        statistics.median(n.pitch for n in p.melody if n.pitch is not None) for p in pieces
    )


@pytest.mark.parametrize(("like", "soloist"), [(None, None), ("Coltrane", "John Coltrane")])
def test_a_tenor_line_sits_where_the_real_players_sit(
    composer: Composer, like: str | None, soloist: str | None
) -> None:
    """Unstyled: around the tenors' centre (63); like Coltrane: around his own median (65). Before the
    lead's centre the same lines sat at 61 and 60 (docs/MODEL.md)."""
    centres = load_centres()
    real = centres.instruments["tenor sax"] if soloist is None else centres.soloists[soloist]
    pieces = composer.compose_many([bot_line("tenor sax", like, seed) for seed in SEEDS])
    assert abs(median_of_medians(pieces) - real) <= 2


def test_a_line_without_a_lead_is_centred_as_before(composer: Composer) -> None:
    """``lead`` None: the range's middle moved by the style's offset against the whole corpus, as before
    (the pinned hashes in test_compose_pinned.py hold too): like Coltrane in the tenor's line range
    sits near 59.5, 5.5 below where the same request with the lead sits."""
    low, high = LEADS["tenor sax"].line_range
    old_centre = centre_of_range(low, high, load_priors().styles["John Coltrane"].offset)
    plain = [ComposeRequest(16, 160, seed=s, like="Coltrane", low=low, high=high) for s in SEEDS]
    assert abs(median_of_medians(composer.compose_many(plain)) - old_centre) <= 2
    assert load_centres().centre("tenor sax", "postbop", "John Coltrane") - old_centre > 5


def test_a_longer_piece_for_a_lead_replays_the_shorter(composer: Composer) -> None:
    for lead, like in (("tenor sax", "Coltrane"), ("soprano sax", "Liebman"), ("flute", None)):
        short, long = composer.compose_many([bot_line(lead, like, 11, 8), bot_line(lead, like, 11, 16)])
        ticks = replayed_ticks(short, long)
        assert ticks > 0
        assert notes_before(short, ticks) == notes_before(long, ticks), lead
        assert composer.compose_many([bot_line(lead, like, 11, 8)])[0] == short  # same seed, same piece


def test_an_unknown_lead_is_refused_naming_the_leads(composer: Composer) -> None:
    with pytest.raises(ComposeError, match="tenor sax"):
        composer.compose(8, lead="kazoo")
