from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from model.compose import Composer, ComposeRequest
from model.evaluation_sets import Progress, Sample, composed
from model.leaps import (
    CLASSES,
    LEAPS_FILE,
    MAX_COUNT,
    MAX_INTERVAL,
    MAX_LOG_RATIO,
    MEMORY_NOTES,
    STATES,
    LeapLine,
    Leaps,
    Memory,
    chord_classes,
    counts,
    from_json,
    load_leaps,
    log_ratios,
    states,
    to_json,
)
from model.melody_metrics import line_of, windowed_pitch_class_entropy
from model.metrics import mean_abs_interval
from model.midi import piece_to_midi
from model.piece import Chord, Note
from model.primer import parse_primer
from model.theory import ChordSymbol, parse_chord

C7 = parse_chord("C7")
CHORD, SCALE, OTHER = (CLASSES.index(c) for c in ("chord", "scale", "other"))


def _state(count: int, kind: int) -> int:
    return count * len(CLASSES) + kind


def _line(pitches: list[int]) -> tuple[list[Note], list[Chord]]:
    notes = [Note(p, 120 * i, 120) for i, p in enumerate(pitches)]
    return notes, [Chord(C7, 0, 120 * len(pitches), "C7")]


def test_chord_classes_tell_chord_tones_scale_tones_and_the_rest() -> None:
    classes = chord_classes(C7)  # C E G Bb, then D F A of its mixolydian scale
    assert [int(classes[pc]) for pc in (0, 4, 7, 10)] == [CHORD] * 4
    assert [int(classes[pc]) for pc in (2, 5, 9)] == [SCALE] * 3
    assert [int(classes[pc]) for pc in (1, 3, 6, 8, 11)] == [OTHER] * 5


def test_counts_tell_how_often_the_target_sounded_its_class_and_the_interval() -> None:
    # C E G C' (back onto C, heard once), Db (new, outside C7), then two octaves down onto C (heard twice)
    counted = counts([_line([60, 64, 67, 72, 73, 48])])
    assert counted == Counter(
        {
            (_state(0, CHORD), 4): 1,
            (_state(0, CHORD), 3): 1,
            (_state(1, CHORD), 5): 1,
            (_state(0, OTHER), 1): 1,
            (_state(2, CHORD), MAX_INTERVAL): 1,
        }
    )


def test_memory_counts_the_last_notes_only_and_stops_at_the_cap() -> None:
    old = [62] + [60, 64] * (MEMORY_NOTES // 2)  # D, then MEMORY_NOTES notes without it
    assert states(old, C7)[2] == _state(0, SCALE)
    assert states([*old, 62], C7)[2] == _state(1, SCALE)
    assert states([60] * (MAX_COUNT + 3), C7)[0] == _state(MAX_COUNT, CHORD)


def test_log_ratios_favour_what_the_model_plays_too_rarely() -> None:
    real = Counter({(_state(3, CHORD), 5): 300, (_state(0, SCALE), 2): 700})
    played = Counter({(_state(3, CHORD), 5): 100, (_state(0, SCALE), 2): 900})
    table = log_ratios(real, played)
    assert table.shape == (STATES, MAX_INTERVAL + 1)
    assert table[_state(3, CHORD), 5] > 0 > table[_state(0, SCALE), 2]
    assert table[_state(1, CHORD), 0] == 0.0  # never played by the real solos: no correction
    assert np.all(np.abs(log_ratios(real, real)) < 1e-12)
    rare = log_ratios(Counter({(0, 9): 1000, (3, 1): 1}), Counter({(3, 1): 10**6}))
    assert rare[0, 9] == MAX_LOG_RATIO


def test_shift_looks_up_memory_class_and_interval_and_leaves_rests_alone() -> None:
    table = np.arange(STATES * (MAX_INTERVAL + 1), dtype=np.float64).reshape(STATES, MAX_INTERVAL + 1)
    leaps = Leaps(table, "test")
    line = leaps.line(36, 72, [parse_chord("F7"), C7])
    for pitch in (60, 64, 60):
        line.add(pitch)
    shift = line.shift(60, 1) / leaps.weight  # over C7
    expected = {
        67: table[_state(0, CHORD), 7],
        60: table[_state(2, CHORD), 0],
        37: table[_state(0, OTHER), MAX_INTERVAL],
        62: table[_state(0, SCALE), 2],
    }
    assert {p: shift[p] for p in expected} == pytest.approx(expected)
    assert shift.take([256, 73, 35], mode="clip").tolist() == [0.0, 0.0, 0.0]  # rests, ties, outside


def test_the_running_memory_counts_what_states_recounts() -> None:
    line = [60 + (7 * i) % 13 for i in range(3 * MEMORY_NOTES)]
    memory = Memory()
    for i, pitch in enumerate(line):
        assert (memory.states(chord_classes(C7)) == states(line[:i], C7)).all()
        memory.add(pitch)


class _RecordingLine(LeapLine):
    """A line that notes its memory (notes counted so far, rows) at every draw it shifts."""

    seen: ClassVar[list[tuple[int, list[int]]]] = []

    def shift(self, last: int, chord: int) -> npt.NDArray[np.float64]:
        self.seen.append((self.memory.notes, self.memory.rows.tolist()))
        return LeapLine.shift(self, last, chord)


class _Recording(Leaps):
    def line(self, low: int, high: int, chords: Sequence[ChordSymbol]) -> LeapLine:
        return _RecordingLine.start(self, low, high, chords)


def test_the_running_memory_is_a_recount_of_the_last_notes_at_every_draw() -> None:
    shipped = load_leaps()
    composer = Composer.load(leaps=_Recording(shipped.table, shipped.source))
    requests = [ComposeRequest(16, seed=s, tempo=100 + 40 * s) for s in range(4)]
    requests += [ComposeRequest(8, seed=9, primer=tuple(parse_primer("C D E G | Bb:2 A G")))]
    for request in requests:
        _RecordingLine.seen.clear()
        melody = composer.compose_many([request])[0].melody
        assert len(_RecordingLine.seen) > 4 * request.bars
        for notes, rows in _RecordingLine.seen:
            last = [n.pitch or 0 for n in melody[:notes][-MEMORY_NOTES:]]
            recount = np.minimum(np.bincount([p % 12 for p in last], minlength=12), MAX_COUNT)
            assert rows == (recount * len(CLASSES)).tolist()


def test_the_committed_table_round_trips_and_rewards_returning_to_the_figure() -> None:
    leaps = load_leaps()
    assert from_json(to_json(leaps)).table.tolist() == leaps.table.tolist()
    assert to_json(leaps) == LEAPS_FILE.read_text()
    # a fourth onto a chord tone the line keeps returning to; a whole step onto a new scale tone
    assert leaps.table[_state(MAX_COUNT, CHORD), 5] > 0 > leaps.table[_state(0, SCALE), 2]
    with pytest.raises(ValueError, match=r"model\.leaps --build"):
        from_json(to_json(leaps).replace(f'"memory_notes": {MEMORY_NOTES}', '"memory_notes": 99'))


def _measured(pieces: list[Sample]) -> tuple[Counter[int], float, float]:
    """(share of intervals by the target's count in the line's memory, mean |interval|, mean H4)."""
    counted = counts([(line_of(p.melody), p.chords) for p in pieces])
    total = sum(counted.values())
    by_count: Counter[int] = Counter()
    for (state, _), n in counted.items():
        by_count[state // len(CLASSES)] += n
    shares = Counter({k: v / total for k, v in by_count.items()})
    interval = statistics.fmean(mean_abs_interval(p.melody) for p in pieces)
    h4 = statistics.fmean(windowed_pitch_class_entropy(p.melody, p.bars, 4) for p in pieces)
    return shares, interval, h4


def test_unstyled_lines_return_to_their_pitch_classes_and_leap_more(composer: Composer) -> None:
    plain = Composer.load(leaps=Leaps.none())
    shaped = _measured(composed(composer, 40, 16, Progress(False), seed_offset=1000))
    unshaped = _measured(composed(plain, 40, 16, Progress(False), seed_offset=1000))
    (shaped_counts, shaped_interval, shaped_h4), (plain_counts, plain_interval, plain_h4) = shaped, unshaped
    assert shaped_counts[0] < plain_counts[0]  # fewer new pitch classes over about four bars ...
    assert shaped_counts[MAX_COUNT] > plain_counts[MAX_COUNT]  # ... more of the ones it dwells on
    assert shaped_interval > plain_interval  # and in bigger intervals
    assert shaped_h4 < plain_h4
    styled = ComposeRequest(8, seed=7, like="Parker")
    assert piece_to_midi(composer.compose_many([styled])[0]) == piece_to_midi(plain.compose_many([styled])[0])
