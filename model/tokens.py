"""The soloist's tokens: every note names exactly one pitch, so every draw can be played.

A note token says which pitch class the note is, counted from the ROOT of the chord sounding at its
onset (0..11), and which way it lies from the previous sounding pitch:

* ``u`` the nearest pitch of that class above the previous pitch (1..12 semitones up),
* ``d`` the nearest one below (1..12 down),
* ``U`` / ``D`` one octave beyond that (13..24 up or down; real solos leap that far 0.6% of the time),
* ``s`` the previous pitch again (the class is then implied and not written),
* ``*`` the first note of a line: the sampler places it near the instrument's centre.

plus its length in grid units (:data:`GRID` = 1/12 beat): ``u7:6`` is the fifth of the chord, the
nearest one above the previous note, an eighth long. ``R:<g>`` is a rest and ``T:<g>`` continues the
note sounding at the bar line into the new bar (one held note, never a restrike). Given the previous
pitch and the chord, a note token is one pitch: no buckets, no fallbacks.

:func:`encode_line` turns a melody over chords into :class:`Event` s (token plus its onset), laid end
to end so that each bar is exactly filled: onsets snap to :data:`ONSET_POSITIONS` (sixteenths,
eighth-note triplets and sextuplets: 97% of WJazzD onsets sit there), a gap shorter than
:data:`LEGATO_GAP` after a note joins the note (WJazzD measures sounding lengths, so nearly every
note of a fast line is followed by a sliver of silence that no player would call a rest), and
lengths outside :data:`NOTE_DURATIONS` are shortened to the longest one that fits, the remainder
becoming rest.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model.piece import TICKS_PER_QUARTER, Chord, Note

GRID = TICKS_PER_QUARTER // 12
"""Ticks per grid unit (40): sixteenths are 3 units, eighth-note triplets 4, sextuplets 2."""
GRID_PER_BEAT = 12
ONSET_POSITIONS = (0, 2, 3, 4, 6, 8, 9, 10)
"""Where in a beat (grid units) a token may start or end. 96.9% of WJazzD onsets are on these."""
NOTE_DURATIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 18, 21, 24, 30, 36, 42, 48)
"""Note and tie lengths in grid units: every length with >= 0.1% of WJazzD notes, plus the long ones
a closing note needs. Anything else is shortened to the longest of these that fits."""
REST_DURATIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 18, 20, 21, 24, 27, 30, 33, 36, 42, 48)
CLOSING_LENGTHS = (24, 36, 48)
"""A phrase-closing note is held at least two beats to the bar line: every pitch class, both ways,
at these lengths is always in the vocabulary (:func:`closing_tokens`), so a close is always possible."""
LEGATO_GAP = 6
"""A silence shorter than this (an eighth note) after a note is part of the note, not a rest."""
DIRECTIONS = ("u", "d", "U", "D")
SAME = "s"
FIRST = "*"
REST = "R"
TIE = "T"
START = "^"
"""Input-only token fed before the first draw of a line (never drawn, never in the output layer)."""


@dataclass(frozen=True, slots=True)
class Event:
    """A token and where it starts (ticks); ``pitch`` is the sounding pitch (None for rests)."""

    token: str
    start: int
    pitch: int | None


def note_token(direction: str, pc: int, grid: int) -> str:
    if direction == SAME:
        return f"{SAME}:{grid}"
    return f"{direction}{pc}:{grid}"


def closing_tokens() -> list[str]:
    """The ``u``/``d`` notes of every pitch class at every :data:`CLOSING_LENGTHS` length."""
    return [note_token(d, pc, g) for g in CLOSING_LENGTHS for pc in range(12) for d in ("u", "d")]


def token_grid(token: str) -> int:
    """Length in grid units (0 for the start token)."""
    return 0 if token == START else int(token.rsplit(":", 1)[1])


def token_kind(token: str) -> str:
    """``"R"``, ``"T"``, ``"s"``, ``"*"``, ``"u"``, ``"d"``, ``"U"``, ``"D"`` or ``"^"``."""
    return token[0]


def token_pc(token: str) -> int:
    """The pitch class above the chord root a note token names; -1 for ``s``, rests, ties, start."""
    kind = token_kind(token)
    if kind in DIRECTIONS or kind == FIRST:
        return int(token[1:].split(":")[0])
    return -1


def direction_of(previous: int, pitch: int) -> str | None:
    """The direction code leading from ``previous`` to ``pitch``; None beyond two octaves."""
    interval = pitch - previous
    if interval == 0:
        return SAME
    size = abs(interval)
    if size > 24:
        return None
    near = size <= 12
    if interval > 0:
        return "u" if near else "U"
    return "d" if near else "D"


def resolve_many(
    previous: npt.NDArray[np.int64] | int,
    root: int,
    pcs: npt.NDArray[np.int64],
    directions: npt.NDArray[np.str_],
) -> npt.NDArray[np.int64]:
    """The one pitch each ``u``/``d``/``U``/``D`` token names after ``previous`` over a chord on
    ``root`` (``s`` gives ``previous``)."""
    previous = np.asarray(previous)
    target = (root + pcs) % 12
    up = previous + ((target - previous) % 12 + 11) % 12 + 1  # 1..12 above
    down = previous - ((previous - target) % 12 + 11) % 12 - 1  # 1..12 below
    result = np.where(directions == "u", up, down)
    result = np.where(directions == "U", up + 12, result)
    result = np.where(directions == "D", down - 12, result)
    return np.where(directions == SAME, previous, result).astype(np.int64)


def delta_table(pcs: npt.NDArray[np.int64], kinds: npt.NDArray[np.str_]) -> npt.NDArray[np.int64]:
    """table[r, t]: the interval token t moves from a previous pitch whose class is ``r`` semitones
    above the chord root (0 for ``s`` and for tokens without a pitch): :func:`resolve_many` as a lookup."""
    previous = np.arange(12)[:, None]
    moving = np.isin(kinds, DIRECTIONS) | (kinds == SAME)
    table = resolve_many(previous, 0, pcs[None, :], kinds[None, :]) - previous
    return np.where(moving[None, :], table, 0)


def first_pitch(root: int, pcs: npt.NDArray[np.int64], centre: float) -> npt.NDArray[np.int64]:
    """Where ``*`` notes of classes ``pcs`` sound: each class nearest ``centre`` (the lower on a tie)."""
    base = int(np.floor(centre)) - 6
    return base + (root + pcs - base) % 12


def _fit(length: int, start: int, allowed: Sequence[int]) -> int:
    """The longest allowed length <= ``length`` that ends on an onset position (0 if none)."""
    for candidate in sorted(allowed, reverse=True):
        if candidate <= length and (start + candidate) % GRID_PER_BEAT in ONSET_POSITIONS:
            return candidate
    return 0


def snap(ticks: int) -> int:
    """Grid units of the nearest onset position (earlier one on a tie)."""
    units = round(ticks / GRID)
    beat, inside = divmod(units, GRID_PER_BEAT)
    nearest = min((*ONSET_POSITIONS, GRID_PER_BEAT), key=lambda p: (abs(p - inside), p))
    return beat * GRID_PER_BEAT + nearest


def chord_index_at(chords: Sequence[Chord], tick: int, starts: Sequence[int] | None = None) -> int:
    """Index of the chord sounding at ``tick`` (-1 if none: before the first or in a gap);
    ``starts`` (the chords' start ticks) saves recomputing them in a loop."""
    i = bisect.bisect_right([c.start for c in chords] if starts is None else starts, tick) - 1
    if i < 0 or tick >= chords[i].end:
        return -1
    return i


def encode_line(
    notes: Sequence[Note], chords: Sequence[Chord], start: int, end: int, beats_per_bar: int = 4
) -> list[Event]:
    """Events filling the bars from ``start`` to ``end`` (ticks, both on bar lines) exactly.

    ``notes`` are monophonic (each cut at the next onset); every note must start while a chord
    sounds (the caller cuts lines at chord gaps). The first note is a ``*`` token.
    """
    bar = beats_per_bar * GRID_PER_BEAT
    first, last = start // GRID, end // GRID
    onsets: list[tuple[int, int, int]] = []  # (onset units, end units, pitch)
    for note in notes:
        if note.pitch is None:
            continue
        onset = snap(note.start)
        if not first <= onset < last or (onsets and onset <= onsets[-1][0]):
            continue
        onsets.append((onset, max(onset + 1, round(note.end / GRID)), note.pitch))
    starts = [c.start for c in chords]
    events: list[Event] = []
    time = first
    previous: int | None = None

    def rest_until(stop: int) -> None:
        nonlocal time
        while time < stop:
            room = min(stop, (time // bar + 1) * bar) - time
            length = _fit(room, time, REST_DURATIONS) or room
            events.append(Event(f"{REST}:{length}", time * GRID, None))
            time += length

    for index, (onset, note_end, pitch) in enumerate(onsets):
        following = onsets[index + 1][0] if index + 1 < len(onsets) else last
        stop = following if following - note_end < LEGATO_GAP else min(note_end, following)
        rest_until(onset)
        chord = chords[chord_index_at(chords, onset * GRID, starts)].symbol
        pc = (pitch - chord.root) % 12
        direction = FIRST if previous is None else direction_of(previous, pitch)
        if direction is None:  # a leap beyond two octaves starts a new line of its own
            direction = FIRST
        bar_end = (onset // bar + 1) * bar
        head = _fit(min(stop, bar_end) - onset, onset, NOTE_DURATIONS)
        if head == 0:
            continue
        events.append(Event(note_token(direction, pc, head), onset * GRID, pitch))
        time = onset + head
        previous = pitch
        while time == bar_end and time < stop:  # held over the bar line: tie into the next bar
            bar_end += bar
            length = _fit(min(stop, bar_end) - time, time, NOTE_DURATIONS)
            if length == 0:
                break
            events.append(Event(f"{TIE}:{length}", time * GRID, pitch))
            time += length
    rest_until(last)
    return events


def realise(events: Sequence[Event]) -> list[Note]:
    """The notes the events play: ties lengthen the note they continue; rests are gaps."""
    notes: list[Note] = []
    for event in events:
        length = token_grid(event.token) * GRID
        if token_kind(event.token) == TIE:
            held = notes[-1]
            notes[-1] = Note(held.pitch, held.start, held.duration + length, held.velocity)
        elif event.pitch is not None:
            notes.append(Note(event.pitch, event.start, length))
    return notes


def bar_lengths(text: str) -> list[int]:
    """Grid units in each bar of a token text as ``Piece.extra["tokens"]`` writes it (``| a b | c d``)."""
    return [sum(token_grid(t) for t in bar.split()) for bar in text.split("|")[1:]]
