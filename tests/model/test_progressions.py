"""The progression library as a user meets it: names, charts, keys and lengths."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from model.paths import PROGRESSIONS_FILE
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord
from model.progressions import (
    ProgressionError,
    build,
    chart_of,
    chords_for,
    get_progression,
    library,
    parse_chart,
    to_json,
)
from model.theory import parse_chord, parse_key


def test_library_holds_the_classics_and_the_standards() -> None:
    progressions = library()
    for slug in (
        "blues",
        "jazz-blues",
        "minor-blues",
        "rhythm-changes",
        "rhythm-a",
        "ii-v-i",
        "minor-ii-v-i",
    ):
        assert slug in progressions
    for slug in ("autumn", "coltrane-changes", "bossa", "ballad", "modal", "giant-steps", "blue-bossa"):
        assert slug in progressions
    assert len(progressions) == 39
    assert PROGRESSIONS_FILE.stat().st_size < 200_000
    for progression in progressions.values():
        assert all(sum(beats for _, beats in bar) == 4 for bar in progression.bars), progression.slug


def test_blues_is_twelve_bars_of_dominants() -> None:
    blues = get_progression("blues")
    assert len(blues.bars) == 12
    assert blues.chart() == "| F7 | Bb7 | F7 | F7 | Bb7 | Bb7 | F7 | F7 | C7 | Bb7 | F7 | C7 |"


def test_standards_keep_their_own_changes() -> None:
    bossa = get_progression("blue-bossa")
    assert bossa.key == parse_key("Cm")
    assert bossa.source == "standards/Blue_Bossa.xml"
    assert bossa.chart().startswith("| Cm6 | Cm6 | Fm9 | Fm9 | Dm7b5 | G7 |")


def test_chords_are_transposed_to_the_key_and_spelled_for_it() -> None:
    chords = chords_for(get_progression("ii-v-i"), parse_key("Bb"), 4)
    assert [c.name for c in chords] == ["Cm7", "F7", "Bbmaj7", "Bbmaj7"]
    sharp = chords_for(get_progression("blues"), parse_key("E"), 2, ending=False)
    assert [c.name for c in sharp] == ["E7", "A7"]
    minor = chords_for(get_progression("minor-blues"), parse_key("F#m"), 1)
    assert minor[0].name == "F#m7"


def test_chords_repeat_or_stop_to_fill_exactly_the_bars_asked() -> None:
    blues = get_progression("blues")
    for bars in (1, 5, 12, 16, 64):
        chords = chords_for(blues, parse_key("F"), bars)
        assert chords[0].start == 0
        assert chords[-1].end == bars * TICKS_PER_BAR
        assert all(a.end == b.start for a, b in itertools.pairwise(chords))
    sixteen = chords_for(blues, parse_key("F"), 16)
    assert [c.name for c in sixteen[12:]] == ["F7", "Bb7", "F7", "F7"]
    with pytest.raises(ProgressionError):
        chords_for(blues, parse_key("F"), 0)


def test_chart_splits_bars_into_beats() -> None:
    chart = parse_chart("| Dm7 G7 | Cmaj7 | % | Am7 D7 G7 | C6:3 A7:1 |")
    assert chart.key == parse_key("C")
    assert [[(c.name(), b) for c, b in bar] for bar in chart.bars] == [
        [("Dm7", 2), ("G7", 2)],
        [("Cmaj7", 4)],
        [("Cmaj7", 4)],
        [("Am7", 2), ("D7", 1), ("G7", 1)],
        [("C6", 3), ("A7", 1)],
    ]
    assert parse_chart("| Dm7b5 | G7 | Cm6 |").key == parse_key("Cm")


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        ("", "at least one bar"),
        ("| % | C |", "no bar comes before"),
        ("| Cm7 Xyz |", "not a chord symbol"),
        ("| C D E F G |", "holds 1 to 4"),
        ("| C:3 |", "has 3 beats"),
        ("| C:3 G |", "for every chord"),
    ],
)
def test_bad_charts_say_what_is_wrong(chart: str, message: str) -> None:
    with pytest.raises(ProgressionError, match=message):
        parse_chart(chart)


def test_names_match_by_slug_title_prefix_and_close_spelling() -> None:
    assert get_progression("Giant Steps").slug == "giant-steps"
    assert get_progression("  Rhythm Changes ").slug == "rhythm-changes"
    assert get_progression("Well, You Needn't").slug == "well-you-neednt"
    assert get_progression("summer").slug == "summertime"
    assert get_progression("jazz-bluse").slug == "jazz-blues"


def test_unknown_name_lists_suggestions() -> None:
    with pytest.raises(ProgressionError, match=r"did you mean .*blue-bossa"):
        get_progression("blue bosa nova")
    with pytest.raises(ProgressionError, match=r"no progression called 'zzz'; try one of"):
        get_progression("zzz")


def test_build_reproduces_the_committed_json(shared_data: Path) -> None:
    built = to_json(build(shared_data / "standards"))
    assert built == PROGRESSIONS_FILE.read_text()


def test_chords_in_ticks_read_back_as_a_chart_in_their_own_key() -> None:
    beat = TICKS_PER_QUARTER

    def chord(name: str, start: float, beats: float) -> Chord:
        return Chord(parse_chord(name), round(start * beat), round(beats * beat), name)

    # an anticipation less than half a beat early moves to its beat; a bar with no chord holds the last
    chords = [chord("Dm7", 0, 3.6), chord("G7", 3.6, 4.4), chord("C#7", 8, 4), chord("F#maj7", 12, 4)]
    text = chart_of(chords, 5)
    assert text == "| Dm7 | G7 | C#7 | F#maj7 | F#maj7 |"
    progression = parse_chart(text)
    assert progression.key == parse_key("F#")  # the last chord is tonic-like
    assert [c.symbol for c in chords_for(progression, progression.key, 4, ending=False)] == [
        c.symbol for c in chords
    ]
    # no chord before beat 3: the first chord starts on the downbeat; beats with none hold the last
    assert chart_of([chord("Bb7", 2, 2)], 1) == "| Bb7 |"
    assert chart_of([chord("Bb7", 0, 4), chord("Eb7", 6, 2)], 2) == "| Bb7 | Bb7 Eb7 |"
    with pytest.raises(ProgressionError, match="first bar"):
        chart_of([chord("Bb7", 4, 4)], 2)
