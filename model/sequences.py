"""Real solos as the network's training sequences: tokens, conditioning ids and targets.

A solo is cut into *lines* at chord gaps (WJazzD marks stretches without harmony as ``NC``): a line
is a run of whole bars that all have a chord. Each line is encoded by :func:`model.tokens.encode_line`
(its first note a ``*`` token) and every token gets the conditioning ids it is drawn under. The
network's input at step t is token t-1 (the start token for a line's first step) plus those ids.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from model.conditioning import Conditioning, next_changes
from model.piece import TICKS_PER_QUARTER, Chord, Note
from model.tokens import Event, chord_index_at, encode_line

IntArray = npt.NDArray[np.int64]


class SoloLike(Protocol):
    """What the encoder needs of a solo (``model.wjazzd.Solo`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def performer(self) -> str: ...
    @property
    def era(self) -> str: ...
    @property
    def tempo(self) -> float: ...
    @property
    def beats_per_bar(self) -> int: ...
    @property
    def bars(self) -> int: ...
    @property
    def notes(self) -> tuple[Note, ...]: ...
    @property
    def chords(self) -> tuple[Chord, ...]: ...
    @property
    def chorus_starts(self) -> tuple[int, ...]: ...


@dataclass(frozen=True, slots=True)
class Encoded:
    """One solo as arrays of equal length: input token ids, conditioning ids (steps x groups), targets."""

    name: str
    inputs: IntArray
    conditions: IntArray
    targets: IntArray


def merge_chords(chords: Sequence[Chord]) -> tuple[Chord, ...]:
    """Consecutive equal chords with no gap become one (WJazzD repeats the chord on every beat)."""
    merged: list[Chord] = []
    for chord in chords:
        last = merged[-1] if merged else None
        if last is not None and last.symbol == chord.symbol and last.end == chord.start:
            merged[-1] = Chord(last.symbol, last.start, last.duration + chord.duration, last.name)
        else:
            merged.append(chord)
    return tuple(merged)


def lines(solo: SoloLike) -> list[tuple[int, int]]:
    """(start, end) ticks of each run of whole bars that has a chord everywhere."""
    bar = solo.beats_per_bar * TICKS_PER_QUARTER
    covered = np.zeros(solo.bars * solo.beats_per_bar, dtype=bool)
    for chord in solo.chords:
        first = max(0, chord.start // TICKS_PER_QUARTER)
        covered[first : max(first, chord.end // TICKS_PER_QUARTER)] = True
    full = covered.reshape(solo.bars, solo.beats_per_bar).all(axis=1)
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, ok in enumerate([*full, False]):
        if ok and start is None:
            start = index
        elif not ok and start is not None:
            runs.append((start * bar, index * bar))
            start = None
    return runs


def solo_events(solo: SoloLike) -> list[tuple[tuple[int, int], list[Event]]]:
    """Each line's span and events (lines without a note are left out)."""
    chords = merge_chords(solo.chords)
    result = []
    for start, end in lines(solo):
        notes = [n for n in solo.notes if start <= n.start < end]
        if notes:
            result.append(((start, end), encode_line(notes, chords, start, end, solo.beats_per_bar)))
    return result


def centre_of(solo: SoloLike) -> float:
    """The solo's register centre: its median pitch."""
    return float(statistics.median(n.pitch for n in solo.notes if n.pitch is not None))


def encode_solo(
    solo: SoloLike, conditioning: Conditioning, index: dict[str, int], start_id: int
) -> Encoded:
    """Arrays for every line of ``solo``; tokens missing from ``index`` end the line there."""
    chords = merge_chords(solo.chords)
    changes = next_changes(chords)
    centre = centre_of(solo)
    style = conditioning.style_ids(solo.tempo, solo.era, solo.performer)
    bar_ticks = solo.beats_per_bar * TICKS_PER_QUARTER
    starts = [c.start for c in chords]
    inputs: list[int] = []
    conditions: list[list[int]] = []
    targets: list[int] = []
    for _, events in solo_events(solo):
        previous_id, previous_pitch = start_id, None
        for event in events:
            token_id = index.get(event.token)
            if token_id is None:
                break
            chord = chord_index_at(chords, event.start, starts)
            bar = event.start // bar_ticks
            origin = bisect.bisect_right(solo.chorus_starts, event.start) - 1
            origin_bar = solo.chorus_starts[origin] // bar_ticks if origin >= 0 else 0
            conditions.append(
                conditioning.ids(
                    chords,
                    changes,
                    chord,
                    event.start,
                    bar - origin_bar,
                    previous_pitch,
                    centre,
                    style,
                    solo.beats_per_bar,
                )
            )
            inputs.append(previous_id)
            targets.append(token_id)
            previous_id = token_id
            if event.pitch is not None:
                previous_pitch = event.pitch
    return Encoded(
        solo.name,
        np.array(inputs, dtype=np.int64),
        np.array(conditions, dtype=np.int64).reshape(-1, conditioning.groups),
        np.array(targets, dtype=np.int64),
    )
