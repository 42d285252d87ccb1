"""Phrasing from real solos: the committed tables rebuild from WJazzD, the hazard and the gaps shape
what the composer may draw, and composed pieces breathe between phrases."""

from __future__ import annotations

import statistics
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from model.compose import Composer
from model.melody_metrics import PHRASE_GAP, phrases
from model.phrasing import (
    MAX_NOTES,
    PHRASE_GAP_GRID,
    PHRASING_FILE,
    Counts,
    Phrasing,
    TokenTable,
    build,
    count_solo,
    gap_values,
    hazard,
    load_tables,
    main,
    to_json,
    training_solos,
)
from model.piece import TICKS_PER_QUARTER
from model.tokens import GRID
from model.wjazzd import Solo, read_solo


@pytest.fixture(scope="module")
def solos(shared_data: Path) -> list[Solo]:
    return training_solos(shared_data / "wjazzd")


def mean_length(counts: Counts) -> float:
    notes = sum(k * n for k, n in enumerate(counts.lengths[:-1], 1))
    return (notes + counts.lengths[-1] * (MAX_NOTES - 1) + counts.tail_notes) / counts.phrases


def test_the_committed_table_rebuilds_byte_for_byte_from_the_training_solos(solos: list[Solo]) -> None:
    assert to_json(build(solos)) == PHRASING_FILE.read_text()


def test_the_tables_say_what_the_real_solos_do(solos: list[Solo]) -> None:
    tables = load_tables()
    # real phrases (cut at a silence of a beat) run 15-25 notes at medium and fast tempos
    assert all(15 <= mean_length(c) <= 25 for c in tables.bands[1:])
    # Miles Davis plays short phrases, Charlie Parker long ones (docs/MODEL.md lists every table)
    assert (
        mean_length(tables.soloists["Miles Davis"]) < 12 < 20 < mean_length(tables.soloists["Charlie Parker"])
    )
    # a held note ends a phrase far more often than a sixteenth does
    factor = tables.duration_factor
    assert factor[0] < 0.5 and factor[-1] > 3 and factor[-1] > factor[0] * 6
    # every gap is at least a beat
    assert min(gap_values()) == PHRASE_GAP_GRID == PHRASE_GAP // GRID


def test_a_solo_is_counted_as_model_evaluate_cuts_its_phrases(shared_data: Path) -> None:
    melody = shared_data / "wjazzd" / "melody" / "CharlieParker_Ornithology_FINAL.csv"
    solo = read_solo(melody, melody.parent.parent / "beats" / "CharlieParker_Ornithology_FINAL_beattrack.csv")
    counts, notes, ends = count_solo(solo)
    cut = phrases(solo.notes)
    assert counts.phrases == len(cut) > 10
    assert sum(counts.gaps) == len(cut) - 1
    assert sum(notes.values()) == len(solo.notes) and sum(ends.values()) == len(cut)


def test_the_hazard_follows_the_phrase_lengths() -> None:
    # every phrase has 5 notes: nothing ends before the 5th note, everything ends at it
    five = Counts(tuple(100.0 if k == 5 else 0.0 for k in range(1, MAX_NOTES + 1)), 0.0, (1.0,))
    assert list(hazard(five)[1:6]) == [0.0, 0.0, 0.0, 0.0, 1.0]
    # geometric lengths: the same chance after every note, the tail included
    rate = 0.1
    lengths = tuple(1000 * rate * (1 - rate) ** (k - 1) for k in range(1, MAX_NOTES))
    tail = 1000 * (1 - rate) ** (MAX_NOTES - 1)
    geometric = Counts((*lengths, tail), tail / rate, (1.0,))
    assert np.allclose(hazard(geometric)[1:], rate)


def test_real_phrases_rarely_end_after_a_note_or_two() -> None:
    for counts in load_tables().bands:
        chances = hazard(counts)
        assert chances[1:3].mean() < chances[10:30].mean()


def tiny_vocabulary() -> TokenTable:
    """Notes of 3, 6 and 12 grid units and rests of 3, 6, 12 and 24."""
    grid = np.array([3, 6, 12, 3, 6, 12, 24])
    is_rest = np.array([False, False, False, True, True, True, True])
    return TokenTable.of(grid, is_rest, ~is_rest)


NOTE_6, REST_3, REST_6, REST_12, REST_24 = 1, 3, 4, 5, 6


def phrasing(chance: float, gap: int = 24) -> Phrasing:
    chances = np.full(MAX_NOTES + 1, chance)
    gaps = np.array([gap])
    return Phrasing(
        tiny_vocabulary(),
        tuple(float(c) for c in chances),
        (1.0,) * 6,
        np.array([1.0]),
        gaps,
        np.random.default_rng(0),
        24,
    )


def test_an_ended_phrase_rests_for_its_gap_then_plays_again() -> None:
    shaper = phrasing(chance=1.0, gap=24)
    everything = np.ones(7, dtype=bool)
    played = [NOTE_6]
    allowed = shaper.allow(everything, played)
    assert shaper.resting and list(np.flatnonzero(allowed)) == [REST_3, REST_6, REST_12, REST_24]
    played.append(REST_12)
    allowed = shaper.allow(everything, played)  # 12 of the 24 units kept: rests that fit what is left
    assert list(np.flatnonzero(allowed)) == [REST_3, REST_6, REST_12]
    played.append(REST_12)
    allowed = shaper.allow(everything, played)  # the gap is kept: the next phrase begins
    assert not shaper.resting and not (allowed & tiny_vocabulary().is_rest).any()


def test_the_line_opens_with_at_most_half_a_bar_of_rest() -> None:
    shaper = phrasing(chance=0.0)
    everything = np.ones(7, dtype=bool)
    assert shaper.allow(everything, []).all()  # any opening rest fits half a bar (24 units)
    played = [REST_12]
    assert list(np.flatnonzero(shaper.allow(everything, played))) == [0, 1, 2, REST_3, REST_6, REST_12]
    played.append(REST_12)  # half a bar of rest: the soloist comes in now
    assert list(np.flatnonzero(shaper.allow(everything, played))) == [0, 1, 2]
    only_rests = tiny_vocabulary().is_rest.copy()
    assert (shaper.allow(only_rests, played) == only_rests).all()  # never nothing


def test_inside_a_phrase_a_rest_is_only_a_breath() -> None:
    shaper = phrasing(chance=0.0)
    everything = np.ones(7, dtype=bool)
    played = [NOTE_6]
    assert list(np.flatnonzero(shaper.allow(everything, played))) == [0, 1, 2, REST_3, REST_6]
    played.append(REST_6)
    assert list(np.flatnonzero(shaper.allow(everything, played))) == [0, 1, 2, REST_3]  # 6 + 3 < 12
    # where the mask leaves only long rests, phrasing never leaves nothing
    only_long = np.zeros(7, dtype=bool)
    only_long[REST_24] = True
    assert list(np.flatnonzero(shaper.allow(only_long, played))) == [REST_24]


def test_the_longer_the_phrase_the_likelier_it_ends_at_the_next_note() -> None:
    """With a table whose hazard rises (Charlie Parker's), a phrase of 20 notes ends after its next
    note far more often than a phrase of one note, over many seeds."""
    tables = load_tables()
    chances = hazard(tables.counts(2, "bebop", "Charlie Parker"))
    ended = {}
    for notes in (1, 20):
        count = 0
        for seed in range(3000):
            shaper = Phrasing(
                tiny_vocabulary(),
                tuple(float(c) for c in chances),
                (1.0,) * 6,
                np.array([1.0]),
                np.array([12]),
                np.random.default_rng(seed),
                24,
            )
            shaper.allow(np.ones(7, dtype=bool), [NOTE_6] * notes)
            count += shaper.resting
        ended[notes] = count / 3000
    assert ended[1] < 0.02 < 0.03 < ended[20]


def test_composed_pieces_rest_between_phrases_on_many_seeds(composer: Composer) -> None:
    lengths, gaps = [], []
    for seed in range(40):
        like = [None, "Parker", "Miles Davis", "cool"][seed % 4]
        piece = composer.compose(16, [120, 160, 220][seed % 3], seed=seed, like=like)
        cut = phrases(piece.melody)
        assert len(cut) >= 3, seed  # a 16-bar line breathes between phrases
        lengths += [len(p) for p in cut]
        gaps += [(b[0].start - a[-1].end) / TICKS_PER_QUARTER for a, b in pairwise(cut)]
    assert 10 <= statistics.fmean(lengths) <= 25  # real solos: 17 notes
    assert 1.5 <= statistics.fmean(gaps) <= 4  # real solos: 2.2-2.8 beats


def test_phrasing_keeps_the_same_seed_the_same_piece(composer: Composer) -> None:
    first = composer.compose(16, 160, "F", "blues", seed=5, like="Coltrane")
    again = composer.compose(16, 160, "F", "blues", seed=5, like="Coltrane")
    assert first.melody == again.melody


def test_the_command_prints_the_committed_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "Charlie Parker" in out and "tempo < 190 bpm" in out
