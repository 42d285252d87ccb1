"""The chord-relative token grammar: deepjazz's "abstract grammar" with its timing bugs fixed.

A melody becomes, per bar, ``"|"`` followed by tokens whose durations add up to exactly one bar:

* ``"R:<grid>"`` — a rest of ``<grid>`` units of :data:`GRID` ticks;
* ``"<cls>:<grid>:<step>"`` — a note whose pitch is stored only relative to the harmony: ``cls`` says
  what it is against the chord sounding at its onset (``C`` chord tone, ``S`` chord-scale tone,
  ``A`` approach a semitone from a chord tone, ``X`` anything else) and ``step`` buckets the interval
  from the previous sounding note (``0``, ``±1`` = 1-2 semitones, ``±2`` = 3-4, ``±3`` = 5-7,
  ``±4`` = 8 or more, ``*`` for the first note of a piece).

This was the first composer's vocabulary; the soloist now uses :mod:`model.tokens`. It remains the
encoding of the lead-sheet corpus (:mod:`model.corpus`: copy-run checks and its CLI) and the home of
:func:`classify`, :func:`chord_at` and :func:`step_bucket`, which the evaluation uses.

Unlike deepjazz, onsets are kept exact (a note starts where it started, not one duration late),
quantisation rounds half up instead of at random, and a note held over a bar line is split so
that every bar's tokens fill that bar exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

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


def split_bars(tokens: Sequence[str]) -> list[list[str]]:
    """The tokens of each bar (bar tokens removed); tokens before the first ``"|"`` are dropped."""
    bars: list[list[str]] = []
    for token in tokens:
        if token == BAR_TOKEN:
            bars.append([])
        elif bars:
            bars[-1].append(token)
    return bars
