"""Melody metrics on hand-made melodies with known answers, on real lead sheets and deepjazz outputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from model.corpus import read_file
from model.grammar import GRID, top_line
from model.metrics import (
    CopyIndex,
    class_shares,
    distinctness,
    filled_bar_share,
    mean_abs_interval,
    pitch_class_entropy,
    pitch_range,
    repeated_share,
    shape,
    split_mixed_track,
)
from model.piece import TICKS_PER_BAR, Chord, Note
from model.theory import parse_chord

Q = TICKS_PER_BAR // 4


def line(pitches: list[int], length: int = Q, start: int = 0) -> list[Note]:
    return [Note(p, start + i * length, length) for i, p in enumerate(pitches)]


def test_well_formed_bars_count_as_filled_and_spills_do_not() -> None:
    assert filled_bar_share(line([60, 62, 64, 65, 67, 69, 71, 72]), 2) == 1.0
    # a whole note held over the bar line with nothing starting under it is fine
    assert filled_bar_share([Note(60, 2 * Q, 4 * Q), Note(62, 6 * Q, Q)], 2) == 1.0
    # bar 2: a note starts while the previous one still sounds (deepjazz's spill)
    spilled = [*line([60, 62, 64, 65]), Note(67, TICKS_PER_BAR, Q + GRID), Note(69, TICKS_PER_BAR + Q, Q)]
    assert filled_bar_share(spilled, 2) == 0.5
    off_grid = [Note(60, 7, Q)]
    assert filled_bar_share(off_grid, 2) == 0.5


def test_chord_and_scale_tone_shares_follow_the_sounding_chord() -> None:
    chords = [
        Chord(parse_chord("C7"), 0, TICKS_PER_BAR, "C7"),
        Chord(parse_chord("F7"), TICKS_PER_BAR, 1920, "F7"),
    ]
    # over C7: E chord tone, D scale tone, Eb approach; over F7: Eb chord tone
    shares = class_shares([*line([64, 62, 63]), Note(63, TICKS_PER_BAR, Q)], chords)
    assert shares == {"C": 0.5, "CS": 0.75}


def test_pitch_statistics() -> None:
    melody = line([60, 60, 67, 55])
    assert pitch_range(melody) == 12
    assert mean_abs_interval(melody) == pytest.approx((0 + 7 + 12) / 3)
    assert repeated_share(melody) == pytest.approx(1 / 3)
    assert pitch_class_entropy(line([62] * 5)) == 0.0
    assert pitch_class_entropy(line(list(range(60, 72)))) == pytest.approx(math.log2(12))


def test_distinctness_is_zero_for_copies_and_one_for_disjoint_melodies() -> None:
    a, b = line([60, 62, 64]), line([61, 63, 65])
    assert distinctness([a, a]) == 0.0
    assert distinctness([a, b]) == 1.0


def test_copied_runs_are_found_in_any_key(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(tmp_path))
    (song,) = read_file(shared_data / "standards" / "Donna_Lee.xml").songs
    training = top_line(song.melody, song.bars)
    index = CopyIndex([shape(training)])
    phrase = training[40:60]  # 20 consecutive notes of Donna Lee, moved up a minor third
    moved = [Note((n.pitch or 0) + 3, n.start + 5 * TICKS_PER_BAR, n.duration) for n in phrase]
    invented = [*line([60, 72, 61, 71, 62], length=GRID * 5), *moved]
    assert index.longest_copied_run(invented) == 20
    assert index.longest_copied_run(line([60, 72, 61, 71, 62], length=GRID * 5)) <= 2


def test_block_and_melody_note_at_the_same_onset_are_told_apart() -> None:
    block = [Note(p, 0, 2 * Q) for p in (48, 52, 55, 59)]
    melody = [Note(72, 0, Q), Note(74, Q, Q)]
    track = split_mixed_track([*block, *melody])
    assert track.melody == tuple(melody)
    assert [c.name for c in track.chords] == ["Cmaj7"]


def test_copied_runs_tell_a_semitone_from_a_whole_tone_down() -> None:
    # Python hashes -1 and -2 alike; the index must not
    index = CopyIndex([shape(line([72, 71, 70, 69, 68, 67]))])
    assert index.longest_copied_run(line([72, 70, 68, 66, 64, 62])) == 1
    assert index.longest_copied_run(line([60, 59, 58, 57])) == 4
