from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from model.compose import Composer, ComposeRequest
from model.evaluation_sets import Progress, composed
from model.leaps import (
    LEAPS_FILE,
    MAX_INTERVAL,
    MAX_LOG_RATIO,
    RECENT_NOTES,
    Leaps,
    counts,
    from_json,
    load_leaps,
    log_ratios,
    to_json,
)
from model.melody_metrics import line_of
from model.midi import piece_to_midi
from model.piece import Note


def test_counts_tell_leaps_onto_recent_pitch_classes_from_new_ones() -> None:
    # C E G C' (a leap back onto C), C# (new), then two octaves down onto C (wider than an octave)
    counted = counts([[60, 64, 67, 72, 73, 48]])
    assert counted == Counter({(False, 4): 1, (False, 3): 1, (True, 5): 1, (False, 1): 1, (True, 13): 1})


def test_recent_means_the_last_notes_only() -> None:
    line = [60, *range(62, 62 + RECENT_NOTES), 60]  # C, then RECENT_NOTES new notes, then C again
    last = (False, abs(60 - (62 + RECENT_NOTES - 1)))
    assert counts([line])[last] == 1
    assert counts([[60, *range(62, 61 + RECENT_NOTES), 60]])[(True, abs(60 - (61 + RECENT_NOTES - 1)))] == 1


def test_log_ratios_favour_what_the_model_plays_too_rarely() -> None:
    real = Counter({(True, 5): 300, (False, 2): 700})
    played = Counter({(True, 5): 100, (False, 2): 900})
    table = log_ratios(real, played)
    assert table[1, 5] > 0 > table[0, 2]
    assert table[1, 0] == 0.0  # never played by the real solos: no correction
    assert np.all(np.abs(log_ratios(real, real)) < 1e-12)
    assert (
        log_ratios(Counter({(True, 9): 1000, (False, 1): 1}), Counter({(False, 1): 10**6}))[1, 9]
        == MAX_LOG_RATIO
    )


def test_shift_looks_up_recent_and_interval_and_leaves_rests_alone() -> None:
    table = np.arange(2 * (MAX_INTERVAL + 1), dtype=np.float64).reshape(2, MAX_INTERVAL + 1)
    leaps = Leaps(table, "test")
    notes = [Note(60, 0, 120), Note(64, 120, 120)]
    pitches = np.array([67, 60, 256, 41], dtype=np.int64)
    pitched = np.array([True, True, False, True])
    shift = leaps.shift(pitches, pitched, notes)
    assert list(shift) == [table[0, 3], table[1, 4], 0.0, table[0, MAX_INTERVAL]]


def test_the_committed_table_round_trips_and_rewards_leaps_along_the_figure() -> None:
    leaps = load_leaps()
    assert from_json(to_json(leaps)).table.tolist() == leaps.table.tolist()
    assert to_json(leaps) == LEAPS_FILE.read_text()
    assert leaps.table[1, 5] > 0 > leaps.table[0, 2]  # a fourth back onto the figure; a step onto a new note
    with pytest.raises(ValueError, match=r"model\.leaps --build"):
        from_json(to_json(leaps).replace(f'"recent_notes": {RECENT_NOTES}', '"recent_notes": 99'))


def _shares(composer: Composer) -> Counter[tuple[bool, int]]:
    pieces = composed(composer, 40, 16, Progress(False), seed_offset=1000)
    counted = counts([[n.pitch or 0 for n in line_of(p.melody)] for p in pieces])
    total = sum(counted.values())
    return Counter({k: v / total for k, v in counted.items()})


def test_unstyled_lines_leap_back_onto_the_figure_and_styled_ones_are_untouched(composer: Composer) -> None:
    plain = Composer.load(leaps=Leaps.none())
    shaped, unshaped = _shares(composer), _shares(plain)
    leaps_back = range(5, 10)  # fourths to sixths onto a pitch class of the last notes
    assert sum(shaped[(True, b)] for b in leaps_back) > sum(unshaped[(True, b)] for b in leaps_back)
    assert shaped[(False, 2)] < unshaped[(False, 2)]  # whole steps onto new notes
    styled = ComposeRequest(8, seed=7, like="Parker")
    assert piece_to_midi(composer.compose_many([styled])[0]) == piece_to_midi(plain.compose_many([styled])[0])
