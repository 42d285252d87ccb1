"""The chord-relative token grammar: deepjazz's "abstract grammar" with its timing bugs fixed.

A melody becomes, per bar, ``"|"`` followed by tokens whose durations add up to exactly one bar:

* ``"R:<grid>"`` — a rest of ``<grid>`` units of :data:`GRID` ticks;
* ``"<cls>:<grid>:<step>"`` — a note whose pitch is stored only relative to the harmony: ``cls`` says
  what it is against the chord sounding at its onset (``C`` chord tone, ``S`` chord-scale tone,
  ``A`` approach a semitone from a chord tone, ``X`` anything else) and ``step`` buckets the interval
  from the previous sounding note (``0``, ``±1`` = 1-2 semitones, ``±2`` = 3-4, ``±3`` = 5-7,
  ``±4`` = 8 or more, ``*`` for the first note of a piece).

Because nothing in a token names a key, a model trained on these tokens plays in every key; the
pitch is chosen again at decode time by :func:`realise_pitch` against whatever chord is sounding.
Unlike deepjazz, onsets are kept exact (a note starts where it started, not one duration late),
quantisation rounds half up instead of at random, and a note held over a bar line is split so
that every bar's tokens fill that bar exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np

from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note
from model.theory import ChordSymbol

GRID = TICKS_PER_QUARTER // 12
"""Ticks per grid unit (40): sixteenths are 3 units, eighth-note triplets 4."""
GRID_PER_BAR = TICKS_PER_BAR // GRID
BAR_TOKEN = "|"
REST = "R"
NOTE_CLASSES = ("C", "S", "A", "X")
FIRST_STEP = "*"

# Upper bounds (inclusive) of the interval-size buckets 1..3; bucket 4 is everything larger.
_BUCKET_LIMITS = (2, 4, 7)
# When a token's class has no pitch at all against a chord (whole-tone chords have no "X"), the
# realiser falls back along this order; the nearer the class to "chord tone", the safer.
_CLASS_FALLBACK = {"C": ("C",), "S": ("S", "C"), "A": ("A", "S", "C"), "X": ("X", "A", "S", "C")}


def quantise(ticks: int) -> int:
    """Nearest grid point, halves rounded up: deterministic, unlike deepjazz's random rounding."""
    return (ticks + GRID // 2) // GRID * GRID


def token_duration(token: str) -> int:
    """Length of a token in ticks (0 for the bar token)."""
    if token == BAR_TOKEN:
        return 0
    return int(token.split(":")[1]) * GRID


def is_note(token: str) -> bool:
    return token != BAR_TOKEN and token.split(":", 1)[0] in NOTE_CLASSES


def is_rest(token: str) -> bool:
    return token.startswith(REST + ":")


def token_class(token: str) -> str:
    """``"C"``, ``"S"``, ``"A"``, ``"X"`` for notes, ``"R"`` for rests, ``"|"`` for the bar token."""
    return token.split(":", 1)[0]


def note_token(cls: str, ticks: int, step: str) -> str:
    return f"{cls}:{ticks // GRID}:{step}"


def rest_token(ticks: int) -> str:
    return f"{REST}:{ticks // GRID}"


def classify(pitch: int, chord: ChordSymbol) -> str:
    """What a pitch is against a chord: chord tone, scale tone, approach or other."""
    return _pitch_class_classes(chord)[pitch % 12]


@cache
def _pitch_class_classes(chord: ChordSymbol) -> tuple[str, ...]:
    """The class of each of the 12 pitch classes against ``chord`` (computed once per chord)."""
    tones, scale = chord.tones, chord.scale
    classes = []
    for pc in range(12):
        if pc in tones:
            classes.append("C")
        elif pc in scale:
            classes.append("S")
        elif (pc + 1) % 12 in tones or (pc - 1) % 12 in tones:
            classes.append("A")
        else:
            classes.append("X")
    return tuple(classes)


def step_bucket(interval: int) -> str:
    """Bucket an interval in semitones: ``0``, ``+1`` .. ``+4``, ``-1`` .. ``-4``."""
    if interval == 0:
        return "0"
    size = abs(interval)
    bucket = next((i + 1 for i, limit in enumerate(_BUCKET_LIMITS) if size <= limit), 4)
    return f"{'+' if interval > 0 else '-'}{bucket}"


def _bucket_target(step: str) -> float:
    """A representative interval for a bucket, used when relaxing to the nearest pitch."""
    if step == "0":
        return 0.0
    bucket = int(step[1])
    low = 1 if bucket == 1 else _BUCKET_LIMITS[bucket - 2] + 1
    high = _BUCKET_LIMITS[bucket - 1] if bucket <= len(_BUCKET_LIMITS) else low + 3
    middle = (low + high) / 2
    return middle if step[0] == "+" else -middle


def realise_pitch(
    token: str,
    chord: ChordSymbol,
    previous: int | None,
    rng: np.random.Generator,
    low: int = 55,
    high: int = 84,
) -> int | None:
    """A MIDI pitch in ``[low, high]`` for a note token over ``chord``; None for rests and bars.

    Candidates are the pitches of the token's class whose interval from ``previous`` lies in the
    token's step bucket; one is drawn with ``rng``. If none fits, the candidate of that class
    nearest to the bucket's typical interval is taken. A first note (``*`` or no ``previous``)
    is drawn from the class's pitches in the middle of the range.
    """
    if not is_note(token):
        return None
    cls, _, step = token.split(":")
    pitches = _class_pitches(cls, chord, low, high)
    if previous is None or step == FIRST_STEP:
        centre = (low + high) / 2
        middle = [p for p in pitches if abs(p - centre) <= 7] or pitches
        return int(middle[int(rng.integers(len(middle)))])
    fitting = [p for p in pitches if step_bucket(p - previous) == step]
    if fitting:
        return int(fitting[int(rng.integers(len(fitting)))])
    target = previous + _bucket_target(step)
    return min(pitches, key=lambda p: (abs(p - target), p))


@cache
def _class_pitches(cls: str, chord: ChordSymbol, low: int, high: int) -> tuple[int, ...]:
    for candidate_class in _CLASS_FALLBACK[cls]:
        pitches = tuple(p for p in range(low, high + 1) if classify(p, chord) == candidate_class)
        if pitches:
            return pitches
    raise ValueError(f"no pitch between {low} and {high}")  # a range narrower than an octave


def chord_at(chords: Sequence[Chord], tick: int) -> ChordSymbol:
    """The chord sounding at ``tick``: the last one started at or before it (else the first one)."""
    if not chords:
        raise ValueError("a melody needs at least one chord to be encoded or decoded")
    current = chords[0]
    for chord in chords:
        if chord.start > tick:
            break
        current = chord
    return current.symbol


def top_line(melody: Iterable[Note], bars: int) -> list[Note]:
    """The melody exactly as the tokens encode it: onsets on the grid, the highest note at each
    onset, each note cut at the next onset, at the song end and at every bar line it crosses
    (the continuation becomes a note of its own starting on the bar line)."""
    length = bars * TICKS_PER_BAR
    by_onset: dict[int, tuple[int, int]] = {}
    for note in melody:
        if note.pitch is None:
            continue
        onset = quantise(note.start)
        if not 0 <= onset < length:
            continue
        end = max(onset + GRID, quantise(note.end))
        kept = by_onset.get(onset)
        if kept is None or note.pitch > kept[1]:
            by_onset[onset] = (end, note.pitch)
    onsets = sorted(by_onset)
    line = []
    for i, onset in enumerate(onsets):
        end, pitch = by_onset[onset]
        stop = min(end, onsets[i + 1] if i + 1 < len(onsets) else length)
        start = onset
        while start < stop:
            bar_end = (start // TICKS_PER_BAR + 1) * TICKS_PER_BAR
            line.append(Note(pitch, start, min(stop, bar_end) - start))
            start = min(stop, bar_end)
    return line


def encode_song(melody: Sequence[Note], chords: Sequence[Chord], bars: int) -> list[str]:
    """Tokens for ``bars`` bars: the bar token, then that bar's tokens, filling it exactly.

    Notes and chords are in ticks from the song start; the notes encoded are :func:`top_line`'s,
    gaps become rests, and a note continued over a bar line steps ``0`` from itself.
    """
    tokens: list[str] = []
    previous: int | None = None
    time = 0
    for note in [*top_line(melody, bars), Note(None, bars * TICKS_PER_BAR, 0)]:
        while time < note.start:
            if time % TICKS_PER_BAR == 0:
                tokens.append(BAR_TOKEN)
            stop = min(note.start, (time // TICKS_PER_BAR + 1) * TICKS_PER_BAR)
            tokens.append(rest_token(stop - time))
            time = stop
        if note.pitch is None:
            break
        if time % TICKS_PER_BAR == 0:
            tokens.append(BAR_TOKEN)
        step = FIRST_STEP if previous is None else step_bucket(note.pitch - previous)
        tokens.append(note_token(classify(note.pitch, chord_at(chords, time)), note.duration, step))
        previous = note.pitch
        time = note.end
    return tokens


def decode(tokens: Sequence[str], chords: Sequence[Chord], rng: np.random.Generator) -> tuple[Note, ...]:
    """Notes for a token sequence over ``chords`` (rests dropped); each ``"|"`` starts the next bar."""
    notes: list[Note] = []
    previous: int | None = None
    bar = -1
    time = 0
    for token in tokens:
        if token == BAR_TOKEN:
            bar += 1
            time = bar * TICKS_PER_BAR
            continue
        duration = token_duration(token)
        pitch = realise_pitch(token, chord_at(chords, time), previous, rng)
        if pitch is not None:
            notes.append(Note(pitch, time, duration))
            previous = pitch
        time += duration
    return tuple(notes)


def split_bars(tokens: Sequence[str]) -> list[list[str]]:
    """The tokens of each bar (bar tokens removed); tokens before the first ``"|"`` are dropped."""
    bars: list[list[str]] = []
    for token in tokens:
        if token == BAR_TOKEN:
            bars.append([])
        elif bars:
            bars[-1].append(token)
    return bars
