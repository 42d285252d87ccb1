"""The tune library: the corpus charts read, matched by title, resolved, picked by style, ended."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from model.endings import ENDING_BARS, Bar, is_cadential, is_tonic, tonic_chord
from model.paths import TUNES_FILE
from model.piece import TICKS_PER_QUARTER
from model.progressions import chords_for, get_progression, library, whole_choruses
from model.theory import QUALITIES, Key, TheoryError, parse_key
from model.tunes import (
    STYLE_POOLS,
    TuneError,
    _style_pool,
    describe,
    find_tune,
    pick_tune,
    resolve,
    suggest,
    tunes,
)
from model.tunes.chart import (
    IMPRO_VISOR_QUALITIES,
    NO_CHORD,
    ChartError,
    parse_impro_chord,
    read_chart,
    read_chart_file,
)
from model.tunes.table import build, to_bytes

CHARTS = "chord-progressions"


def _names(bar: Bar, key: Key) -> list[tuple[str, int]]:
    return [(chord.name(key), beats) for chord, beats in bar]


# ---- reading the charts ------------------------------------------------------------------------


def test_every_chord_spelling_in_the_corpus_maps_to_a_quality(shared_data: Path) -> None:
    words: set[str] = set()
    for path in (shared_data / CHARTS).glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "|" in line:
                words.update(line.replace("|", " ").split())
    suffixes = {re.sub(r"^[A-G][b#]?", "", word.partition("/")[0]) for word in words - {NO_CHORD}}
    unmapped = sorted(suffixes - set(IMPRO_VISOR_QUALITIES))
    assert unmapped == [], f"spellings with no quality: {unmapped}"
    assert len(suffixes) > 100
    assert set(IMPRO_VISOR_QUALITIES.values()) <= set(QUALITIES)
    for word in words - {NO_CHORD}:
        parse_impro_chord(word)  # every chord of every chart reads (roots and basses too)


def test_impro_visor_spelling() -> None:
    assert parse_impro_chord("BbM7").name(Key(10)) == "Bbmaj7"
    assert parse_impro_chord("Am7b5").quality == "m7b5"
    assert parse_impro_chord("Co7").quality == "dim7"
    assert parse_impro_chord("G7+").quality == "7#5"
    assert parse_impro_chord("F7#11").quality == "7#11"
    assert parse_impro_chord("Fm7/Ab").name(Key(5, minor=True)) == "Fm7/Ab"
    assert parse_impro_chord("C/C").bass is None
    with pytest.raises(TheoryError, match="Xq7"):
        parse_impro_chord("Xq7")


def test_autumn_leaves_reads_as_written(shared_data: Path) -> None:
    chart = read_chart_file(shared_data / CHARTS / "AutumnLeaves.txt")
    assert (chart.title, chart.composer, chart.beats_per_bar) == ("Autumn Leaves", "Joseph Kosma", 4)
    assert chart.key == parse_key("Gm")  # DBKeySig says Bb: the relative major's signature
    assert len(chart.bars) == 32
    key = chart.key
    assert [_names(chart.bars[i], key) for i in (0, 2, 4, 7)] == [
        [("Cm7", 4)],
        [("Bbmaj7", 4)],
        [("Am7b5", 4)],
        [("Gm6", 4)],
    ]
    assert _names(chart.bars[26], key) == [("Gm7", 2), ("C7", 2)]
    assert _names(chart.bars[31], key) == [("G7", 4)]


def test_moanin_slash_chords_no_chord_and_eighth_note_rhythm(shared_data: Path) -> None:
    """Bar 1 is ``NC NC NC NC Bb/F Bb/F Bb/F F``: the opening NC takes the first chord, the F on the
    last eighth rounds to the next bar line and is dropped, and the NC bar after it holds that F."""
    chart = read_chart_file(shared_data / CHARTS / "Moanin.txt")
    key = chart.key
    assert _names(chart.bars[0], key) == [("Bb/F", 4)]
    assert _names(chart.bars[1], key) == [("F", 4)]
    assert _names(chart.bars[15], key) == [("F", 1), ("Cm7b5", 2), ("F7b9", 1)]  # 3 chords in 4/4
    assert _names(chart.bars[19], key) == [("Gm7", 1), ("F", 2), ("B9", 1)]
    assert all(sum(beats for _, beats in bar) == 4 for bar in chart.bars)


def test_chords_move_to_the_nearest_beat() -> None:
    chart = read_chart("TimeSig = 4 4\n| C D E | G#9 G#9 G#9 G#9 G#9 Gm11 Gm11 Gm11 | NC | C F |\n")
    key = Key(0)
    assert [_names(bar, key) for bar in chart.bars] == [
        [("C", 1), ("D", 2), ("E", 1)],
        [("Ab9", 3), ("Gm9", 1)],
        [("Gm9", 4)],
        [("C", 2), ("F", 2)],
    ]
    waltz = read_chart("TimeSig = 3 4\n| B7sus4 B7sus4 B | Am/C | Em D |\n")
    assert [[b for _, b in bar] for bar in waltz.bars] == [[2, 1], [3], [2, 1]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Title = Empty\nTimeSig = 4 4\n", "no bars"),
        ("TimeSig = 4 4\n| Cm7 | F7 | Xq7 |\n", "bar 3: 'Xq7'"),
        ("TimeSig = 4 4\n| Cm7 | | F7 |\n", "bar 2 is empty"),
        ("TimeSig = 4 4\n| NC | NC |\n", "only NC"),
        ("TimeSig = 5 4\n| Cm7 | F7 |\n", "5/4; jazzbot plays 4/4, 2/2, 3/4"),
    ],
)
def test_broken_charts_say_what_failed(text: str, message: str) -> None:
    with pytest.raises(ChartError, match=re.escape(message)):
        read_chart(text)


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "Broken.txt"
    path.write_text("Title = Broken\nTimeSig = 4 4\n| Cm7 | F7 | Bb/ |\n")
    with pytest.raises(ChartError, match=r"Broken.txt: bar 3"):
        read_chart_file(path)


def test_forgiving_header() -> None:
    chart = read_chart(
        "mpTitle = Bebop\nDB Key = Eb\nTimeSig = 4 4\n| EbM7 | Cm7 | Fm7 Bb7 | EbM7 |", "Bebop"
    )
    assert chart.title == "Bebop" and chart.key == parse_key("Eb")
    untitled = read_chart("DBKeySig = U\nTimeSig = 2 2\n| Cm7 | Cm7 | G7 | Cm6 |", "IvoryForest")
    assert untitled.title == "Ivory Forest" and untitled.key == parse_key("Cm")
    assert untitled.beats_per_bar == 4  # cut time has 4/4's four quarter beats


# ---- the committed table -------------------------------------------------------------------------


def test_table_holds_the_corpus_in_a_small_file() -> None:
    table = tunes()
    assert len(table) == 2579
    assert TUNES_FILE.stat().st_size < 250_000
    assert sum(tune.beats_per_bar == 3 for tune in table.values()) == 181
    assert all("waltz" in tune.styles for tune in table.values() if tune.beats_per_bar == 3)
    assert len({tune.title for tune in table.values()}) == len(table)  # duplicates renamed
    assert table["wave-2"].title == "Wave (version 2)"


def test_table_rebuild_is_byte_for_byte(shared_data: Path) -> None:
    built, skipped = build(shared_data / CHARTS)
    assert to_bytes(built) == TUNES_FILE.read_bytes()
    assert len(skipped) == 35
    assert all("jazzbot plays 4/4, 2/2, 3/4" in reason for _, reason in skipped), skipped


def test_waltzes_are_three_four() -> None:
    someday = find_tune("someday my prince will come")
    assert someday.beats_per_bar == 3 and "waltz" in someday.styles
    assert all(sum(beats for _, beats in bar) == 3 for bar in someday.progression.bars)


def test_style_tags() -> None:
    assert "latin" in find_tune("girl from ipanema").styles
    assert "latin" in find_tune("blue bossa").styles
    assert "blues" in find_tune("12-bar blues").styles
    assert "rhythm-changes" in find_tune("i got rhythm").styles
    assert "up-tempo" in find_tune("donna lee").styles
    assert "ballad" in find_tune("you don't know what love is").styles
    assert "medium" in find_tune("autumn leaves").styles


# ---- titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "title"),
    [
        ("Autumn Leaves", "Autumn Leaves"),
        ("autum leaves", "Autumn Leaves"),
        ("AUTUMN LEAVES!!", "Autumn Leaves"),
        ("solar", "Solar"),
        ("stella by starlight", "Stella By Starlight"),
        ("stela by starlite", "Stella By Starlight"),
        ("all the things", "All the Things You Are"),
        ("the girl from ipanema", "The Girl From Ipanema"),
        ("girl from ipanema", "The Girl From Ipanema"),
        ("Só Danço Samba", "So Danco Samba"),
        ("body & soul", "Body and Soul"),
        ("my funy valentine", "My Funny Valentine"),
        ("round midnight", "Round Midnight"),
        ("nancy", "Nancy (with the Laughing Face"),
        ("wave-2", "Wave (version 2)"),
    ],
)
def test_titles_match_forgivingly(asked: str, title: str) -> None:
    assert find_tune(asked).title == title


def test_unknown_title_lists_three_closest() -> None:
    with pytest.raises(
        TuneError, match=r"no tune called 'autumn nights in paris'; the closest titles are"
    ) as error:
        find_tune("autumn nights in paris")
    assert str(error.value).count(",") == 2


def test_suggest_for_autocomplete() -> None:
    assert "Autumn Leaves" in suggest("autumn")
    assert suggest("autum lea")[0] == "Autumn Leaves"
    assert suggest("stella")[0] == "Stella By Starlight"
    assert suggest("blues")[0] == "12-bar blues"  # the library's blues by its slug
    assert {"12-bar blues", "Blue Bossa", "Blue Monk"} <= set(suggest("blu"))  # the library first
    assert "The Girl From Ipanema" in suggest("ipan")
    assert len(suggest("")) == 25 and len(suggest("a", limit=5)) == 5
    assert suggest("xqzw") == []
    for title in suggest("all the") + suggest("rhythm"):
        assert resolve(title).progression.title == title


# ---- resolving and picking ----------------------------------------------------------------------


def test_a_tune_plays_in_its_own_key_unless_one_is_asked() -> None:
    own = resolve("autumn leaves")
    assert own.label == "autumn-leaves" and own.key == parse_key("Gm")
    assert own.progression.composer == "Joseph Kosma"
    assert [c.name for c in chords_for(own.progression, own.key, 3, ending=False)] == ["Cm7", "F7", "Bbmaj7"]
    moved = resolve("autumn leaves", parse_key("A"))
    assert moved.key == parse_key("Am")  # the tune's mode, the asked tonic
    assert [c.name for c in chords_for(moved.progression, moved.key, 3, ending=False)] == [
        "Dm7",
        "G7",
        "Cmaj7",
    ]
    assert resolve(own.label).progression == own.progression  # the label plays the same tune again


def test_library_first_then_tunes_then_close_library_spellings() -> None:
    assert resolve("blues").label == "blues"
    assert resolve("Giant Steps").label == "giant-steps"  # the library's own lead sheet
    assert resolve("giant step").progression == get_progression("giant-steps")  # its label plays it again
    assert resolve("jazz-bluse").label == "jazz-blues"
    assert resolve("| Dm7 G7 | Cmaj7 |").label == "| Dm7 G7 | Cmaj7 |"
    with pytest.raises(TuneError, match="no progression or tune called 'zzqx zzqx'; the closest titles are"):
        resolve("zzqx zzqx")


def test_a_waltz_is_played_in_four_until_the_caller_plays_three() -> None:
    in_four = resolve("someday my prince will come")
    assert in_four.progression.beats_per_bar == 4
    assert all(sum(b for _, b in bar) == 4 for bar in in_four.progression.bars)
    in_three = resolve("someday my prince will come", meters=(3, 4))
    assert in_three.progression.beats_per_bar == 3
    chords = chords_for(in_three.progression, in_three.key, 4)
    assert chords[-1].end == 4 * 3 * TICKS_PER_QUARTER


@pytest.mark.parametrize("style", sorted(STYLE_POOLS))
def test_pick_tune_fits_the_style(style: str) -> None:
    rng = np.random.default_rng(7)
    picked = [pick_tune(style, rng) for _ in range(30)]
    for tune in picked:
        assert set(tune.styles) & set(STYLE_POOLS[style]), (style, tune.title, tune.styles)
        assert resolve(tune.slug, meters=(3, 4)).progression == tune.progression  # its slug plays it
        assert tune.beats_per_bar == (3 if style == "waltz" else 4)
        assert style != "swing" or "latin" not in tune.styles
    assert len({tune.slug for tune in picked}) > 10
    assert pick_tune(style, np.random.default_rng(1)) == pick_tune(style, np.random.default_rng(1))
    assert pick_tune(style, random.Random(5)) == pick_tune(style, random.Random(5))
    for minor in (False, True):
        assert all(pick_tune(style, random.Random(s), minor).key.minor == minor for s in range(10))
    with pytest.raises(TuneError, match="try ballad"):
        pick_tune("polka", rng)


@pytest.mark.parametrize("minor", [None, False, True])
def test_style_pool_is_the_library_filtered_once(minor: bool | None) -> None:
    for style in STYLE_POOLS:
        pool = _style_pool(style, minor)
        assert pool is _style_pool(style, minor)  # worked out once
        assert [tune.slug for tune in pool] == sorted(tune.slug for tune in pool)
        fitting = [
            tune
            for tune in tunes().values()
            if set(tune.styles) & set(STYLE_POOLS[style])
            and tune.beats_per_bar == (3 if style == "waltz" else 4)
            and (style != "swing" or "latin" not in tune.styles)
            and minor in (None, tune.key.minor)
        ]
        assert set(pool) <= set(fitting)
        for tune in set(fitting) - set(pool):  # left out: its slug names a library progression
            assert resolve(tune.slug, meters=(3, 4)).label in library()
        for seed in range(5):
            index = random.Random(seed).randrange(len(pool))
            assert pick_tune(style, random.Random(seed), minor) == pool[index]


def test_describe_names_tune_and_composer() -> None:
    assert describe("autumn-leaves") == "Autumn Leaves (Joseph Kosma)"
    assert describe("blues") == "12-bar blues"
    assert describe("| Dm7 G7 |") == "| Dm7 G7 |"


# ---- form and ending ----------------------------------------------------------------------------


def test_whole_choruses() -> None:
    autumn, blues = find_tune("autumn leaves").progression, get_progression("blues")
    assert [whole_choruses(autumn, bars, 64) for bars in (1, 16, 40, 48, 64, 200)] == [32, 32, 32, 64, 64, 64]
    assert [whole_choruses(blues, bars, 64) for bars in (1, 16, 20, 64)] == [12, 12, 24, 60]
    long = find_tune("autumn in 3").progression  # 66 bars: more than fits, so whole 8-bar phrases
    assert [whole_choruses(long, bars, 64) for bars in (3, 16, 30, 100)] == [8, 16, 32, 64]


def test_endings_by_hand() -> None:
    gm, c_minor = parse_key("Gm"), parse_key("Cm")
    autumn = find_tune("autumn leaves").progression
    assert [c.name for c in chords_for(autumn, gm, 3)] == ["Cm7", "Am7b5", "D7b9", "Gm6"]
    assert [c.name for c in chords_for(autumn, gm, 1)] == ["D7", "Gm6"]
    whole = chords_for(autumn, gm, 32)  # the chart's last bar is a G7 turnaround: it becomes Gm6
    assert [c.name for c in whole[-3:]] == ["D7", "Gm6", "Gm6"]
    solar = find_tune("solar").progression  # its Dm7b5 G7alt turnaround moves a bar early
    assert [c.name for c in chords_for(solar, c_minor, 12)[-3:]] == ["Dm7b5", "G7alt", "Cm6"]
    blues = get_progression("blues")
    assert [c.name for c in chords_for(blues, parse_key("F"), 12)[-2:]] == ["F7", "F7"]  # ends on I, not C7
    assert chords_for(blues, parse_key("F"), 12)[-1].duration == 4 * TICKS_PER_QUARTER


@pytest.mark.parametrize("seed", range(4))
def test_every_piece_ends_on_the_tonic_after_a_cadence(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = sorted(tunes().values(), key=lambda tune: tune.slug)
    progressions = [table[int(i)].progression for i in rng.integers(len(table), size=60)]
    progressions += [get_progression(slug) for slug in ("blues", "minor-blues", "rhythm-changes", "bossa")]
    for progression in progressions:
        bars = int(rng.integers(1, 65))
        key = Key(int(rng.integers(12)), progression.key.minor)
        shift = (key.tonic - progression.key.tonic) % 12
        tonic = tonic_chord(progression.bars, progression.key).transpose(shift)
        chords = chords_for(progression, key, bars)
        bar_ticks = progression.beats_per_bar * TICKS_PER_QUARTER
        last = [c for c in chords if c.start >= (bars - 1) * bar_ticks]
        assert is_tonic(chords[-1].symbol, key, tonic), (progression.title, bars)
        assert len(last) == 1 or bars == 1  # the tonic held for the whole last bar
        assert chords[-1].end == bars * bar_ticks
        chart_bar = progression.bars[(bars - 1) % len(progression.bars)]
        if bars < ENDING_BARS or is_tonic(chart_bar[0][0].transpose(shift), key, tonic):
            continue  # one bar, or the chart itself lands on the tonic there: a phrase end
        before = [c for c in chords if (bars - 2) * bar_ticks <= c.start < (bars - 1) * bar_ticks]
        resolved_early = all(is_tonic(c.symbol, key, tonic) for c in before)
        assert is_cadential(before[-1].symbol, key) or resolved_early, (progression.title, bars)
