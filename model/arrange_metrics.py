"""How the band plays, measured on arranged MIDI: the figures docs/MODEL.md quotes and tests assert.

``python -m model.arrange_metrics --n 80`` arranges ``n`` 16-bar pieces from the shipped composer
(styles, lead instruments, keys and progressions in rotation) and prints:

* **lead above**: share of lead notes higher than every piano note sounding at any moment of them (a
  lead note with no piano under it counts as above, so sparse comping alone raises it); **of the notes
  with piano under them**: the same share among the lead notes some piano note sounds with (what the
  comping does where it plays); **lead below**: lower than all of them.
* **per lead** (one row per lead instrument): lead notes, the share with piano under them, of those
  the share above every piano note (**on top**) and the share at or under the piano's top voice
  (**buried**: some piano note sounding with it is as high or higher, which a listener hears as the
  soloist inside or under the chords), and the clash share. The pooled figures mix eight leads, five of
  which sit well above the piano whatever it does; the tenor (the bot's default) and alto sit lowest.
  ``--each-lead`` arranges the same ``n`` pieces (progressions, keys, tempi, styles) for every lead.
  With them, the piano as heard (:func:`piano_chords`: notes starting within :data:`ROLL` of each
  other are one chord, so a rolled pad is one chord and a broken chord several): **chords/bar**, mean
  **voices** a chord, **move**: mean semitones the voices travel from one chord to the next
  (:func:`model.arrange.piano.movement`; 2 more per voice added or dropped), and **top**: the mean top
  voice (MIDI pitch; 60 is C4).
* **clash**: share of lead notes a semitone or minor ninth (or either plus an octave) from a piano
  note sounding at any moment of them.
* **outside**: share of each part's notes outside its instrument's real range
  (:mod:`model.arrange.instruments`; drums: the GM percussion keys).
* **drum patterns**: distinct per-bar drum patterns / bars, per style; a bar's pattern is the set of
  (onset to the nearest 1/12 beat, drum key) over the piece's bars (count-in and ending left out).
* **lead spread**: standard deviation (ms) of the lead's onsets around the arranger's swung grid.
* ``--busy`` plays every piece as :func:`busier` lines (what a trained soloist plays) instead.
* ``--waltz`` arranges 16-bar jazz waltzes instead: the tune library's waltz charts in 3/4 in
  rotation, at 100 (brushes, dotted-half bass), 140 (two-feel in 3) and 180 bpm (walking in 3).
* **arrange p50**: median wall (and CPU) time of :func:`model.arrange.arrange` for one 16-bar piece;
  on a shared machine the CPU time is the steadier of the two.
* **split lines**: pieces whose line no single octave shift fits into the lead's range, so the
  arranger places it phrase by phrase (:func:`model.arrange.lead.place`); **moved lines**: pieces whose
  line is played at another octave than composed (moved as a whole); **octave breaks**: consecutive
  lead notes moved by different octaves (where the heard line departs from the written one), with the
  mean size of the heard leap there.

Pieces are composed in the lead's part of its range (:attr:`model.arrange.Instrument.line_range`), as
the bot composes them, without a style of playing unless ``--like`` names some (``none`` for none;
they rotate: "like Parker" and "like Coltrane" move the line's register); ``--generic-range``
composes every piece in the composer's default range instead (what the bot did before 2026-12-06).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from model.arrange import BASS, LEADS, PIANO, Arrangement, ArrangeOptions, arrange
from model.arrange.feel import swing_tick, unswingable_beats
from model.arrange.instruments import DRUM_HIGH, DRUM_LOW
from model.arrange.lead import line_shift
from model.arrange.piano import movement
from model.compose import DEFAULT_HIGH, DEFAULT_LOW, Composer
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Note, Piece
from model.progressions import library
from model.tunes import tunes

CLASHES = frozenset({1, 13, 25})
ROLL = TICKS_PER_QUARTER // 8  # piano notes starting this close together are one chord (a roll is 20 ticks)
PATTERN_GRID = TICKS_PER_QUARTER // 12
KEYS = ("C", "F", "Bb", "Eb", "G", "D", "Ab", "A")
TEMPI = {"swing": (120, 160, 200), "ballad": (60, 72, 84), "bossa": (120, 132, 144), "waltz": (100, 140, 180)}
STYLES = ("swing", "ballad", "bossa")  # the 4/4 mix; --waltz measures the waltz alone


@dataclass(frozen=True, slots=True)
class Heard:
    """A note as the MIDI file plays it (ticks)."""

    start: int
    end: int
    pitch: int
    velocity: int


def parts(arrangement: Arrangement) -> dict[str, list[Heard]]:
    """Each track's notes by track name, sorted by onset."""
    found: dict[str, list[Heard]] = {}
    for track in arrangement.parsed.tracks[1:]:
        notes: list[Heard] = []
        sounding: dict[int, tuple[int, int]] = {}
        now = 0
        for message in track:
            now += message.time
            if message.type == "note_on" and message.velocity > 0:
                sounding[message.note] = (now, message.velocity)
            elif message.type in ("note_on", "note_off") and message.note in sounding:
                start, velocity = sounding.pop(message.note)
                notes.append(Heard(start, now, message.note, velocity))
        found[track.name] = sorted(notes, key=lambda n: (n.start, n.pitch))
    return found


def _under(lead: Sequence[Heard], piano: Sequence[Heard]) -> Iterable[tuple[Heard, list[int]]]:
    """Each lead note with the pitches of the piano notes sounding at any moment of it."""
    longest = max((n.end - n.start for n in piano), default=0)
    starts = [n.start for n in piano]
    first = 0
    for note in lead:
        while first < len(starts) and starts[first] < note.start - longest:
            first += 1
        pitches = []
        for other in piano[first:]:
            if other.start >= note.end:
                break
            if other.end > note.start:
                pitches.append(other.pitch)
        yield note, pitches


@dataclass
class Counts:
    """Pooled counts over many arrangements."""

    lead: int = 0
    above: int = 0
    below: int = 0
    clash: int = 0
    covered: int = 0  # lead notes with piano sounding under them
    covered_above: int = 0
    bars: int = 0
    chords: int = 0  # piano chords (piano_chords)
    voices: int = 0  # their notes
    moved: int = 0  # semitones the voices travel between consecutive chords
    changes: int = 0  # consecutive chord pairs
    tops: int = 0  # sum of the chords' top voices

    def add(self, notes: dict[str, list[Heard]], bars: int = 0) -> None:
        chords = piano_chords(notes["Piano"])
        self.bars += bars
        self.chords += len(chords)
        self.voices += sum(map(len, chords))
        self.moved += sum(movement(a, b) for a, b in itertools.pairwise(chords))
        self.changes += max(0, len(chords) - 1)
        self.tops += sum(chord[-1] for chord in chords)
        for note, pitches in _under(notes["Lead"], notes["Piano"]):
            self.lead += 1
            above = all(p < note.pitch for p in pitches)
            self.above += above
            self.covered += bool(pitches)
            self.covered_above += bool(pitches) and above
            self.below += bool(pitches) and all(p > note.pitch for p in pitches)
            self.clash += any(abs(p - note.pitch) in CLASHES for p in pitches)

    def row(self, name: str) -> str:
        """One lead's line of the per-lead table (see the module docstring)."""
        covered, chords = max(1, self.covered), max(1, self.chords)
        return (
            f"{name:<12} {self.lead:>6} {self.covered / max(1, self.lead):>8.3f} "
            f"{self.covered_above / covered:>7.3f} {1 - self.covered_above / covered:>7.3f} "
            f"{self.clash / max(1, self.lead):>6.3f} {self.chords / max(1, self.bars):>10.2f} "
            f"{self.voices / chords:>6.2f} {self.moved / max(1, self.changes):>5.1f} "
            f"{self.tops / chords:>5.1f}"
        )


PER_LEAD_HEADER = (
    f"{'lead':<12} {'notes':>6} {'w/ piano':>8} {'on top':>7} {'buried':>7} {'clash':>6} "
    f"{'chords/bar':>10} {'voices':>6} {'move':>5} {'top':>5}"
)


def piano_chords(piano: Sequence[Heard]) -> list[tuple[int, ...]]:
    """The piano's chords in time order, each its pitches from the bottom: notes starting within
    :data:`ROLL` ticks of a chord's first note belong to it."""
    chords: list[list[int]] = []
    first = -ROLL - 1
    for note in piano:
        if note.start - first > ROLL:
            chords.append([])
            first = note.start
        chords[-1].append(note.pitch)
    return [tuple(sorted(chord)) for chord in chords]


def outside(notes: dict[str, list[Heard]], lead: str) -> dict[str, tuple[int, int]]:
    """(notes outside the instrument's range, notes) per part."""
    ranges = {
        "Lead": (LEADS[lead].low, LEADS[lead].high),
        "Piano": (PIANO.low, PIANO.high),
        "Bass": (BASS.low, BASS.high),
        "Drums": (DRUM_LOW, DRUM_HIGH),
    }
    return {
        name: (sum(not low <= n.pitch <= high for n in notes[name]), len(notes[name]))
        for name, (low, high) in ranges.items()
    }


def drum_patterns(
    drums: Sequence[Heard], first: int, bars: int, bar_ticks: int = TICKS_PER_BAR
) -> tuple[int, int]:
    """(distinct per-bar patterns, bars) over ``bars`` bars of ``bar_ticks`` from tick ``first``."""
    patterns: list[set[tuple[int, int]]] = [set() for _ in range(bars)]
    for note in drums:
        bar, offset = divmod(note.start - first, bar_ticks)
        if 0 <= bar < bars:
            patterns[bar].add((round(offset / PATTERN_GRID), note.pitch))
    return len({frozenset(p) for p in patterns}), bars


def octave_breaks(piece: Piece, arrangement: Arrangement) -> list[int]:
    """The heard leaps (semitones) between consecutive lead notes that were moved by different octaves."""
    heard = [n.pitch for n in parts(arrangement)["Lead"]]
    moves = [h - w for h, w in zip(heard, melody_pitches(piece), strict=False)]
    return [abs(heard[i + 1] - heard[i]) for i in range(len(moves) - 1) if moves[i] != moves[i + 1]]


def lead_offsets_ms(piece: Piece, arrangement: Arrangement) -> list[float]:
    """How far (ms) each lead onset of the piece's bars lies from its place on the swung grid."""
    ratio = arrangement.options.swing or 0.5
    shift = piece.bar_ticks if arrangement.options.count_in else 0
    melody = [(n.start, n.end, n.pitch or 0, 0) for n in piece.melody if n.pitch is not None]
    keep = unswingable_beats(melody)
    grid = sorted(
        shift + (start if start // TICKS_PER_QUARTER in keep else swing_tick(start, ratio))
        for start, _, _, _ in melody
        if start < piece.length_ticks
    ) + ([shift + piece.length_ticks] if arrangement.options.ending else [])
    ms_per_tick = 60_000 / (piece.tempo * TICKS_PER_QUARTER)
    offsets = []
    for note in parts(arrangement)["Lead"]:
        if note.start < shift + piece.length_ticks + TICKS_PER_QUARTER:
            nearest = min(grid, key=lambda g: abs(g - note.start))
            offsets.append((note.start - nearest) * ms_per_tick)
    return offsets


def line_range(lead: str, generic: bool = False) -> tuple[int, int]:
    """Where a piece for ``lead`` is composed: the lead's line range (centred, as the bot's, where the
    lead's real players sit: the composer's ``lead``), or (``generic``) the default."""
    return (DEFAULT_LOW, DEFAULT_HIGH) if generic else LEADS[lead].line_range


def sample(
    composer: Composer,
    n: int,
    bars: int = 16,
    leads: Sequence[str] = tuple(LEADS),
    generic: bool = False,
    likes: Sequence[str | None] = (None,),
) -> list[tuple[Piece, ArrangeOptions]]:
    """``n`` pieces and options: styles, ``leads``, keys, tempi, progressions and ``likes`` (styles of
    playing) in rotation."""
    names = sorted(library())
    out = []
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        lead = leads[(i // 3) % len(leads)]
        low, high = line_range(lead, generic)
        piece = composer.compose(
            bars=bars,
            tempo=TEMPI[style][(i // 3) % 3],
            key=KEYS[i % len(KEYS)],
            progression=names[(i * 7) % len(names)],
            seed=1000 + i,
            like=likes[(i // 3) % len(likes)],
            low=low,
            high=high,
            lead=None if generic else lead,
        )
        out.append((piece, ArrangeOptions(style=style, lead=lead)))
    return out


def waltz_sample(
    composer: Composer,
    n: int,
    bars: int = 16,
    leads: Sequence[str] = tuple(LEADS),
    generic: bool = False,
    likes: Sequence[str | None] = (None,),
) -> list[tuple[Piece, ArrangeOptions]]:
    """``n`` jazz waltzes: the library's 3/4 charts spread evenly, tempi, ``leads`` and ``likes`` in
    rotation."""
    waltzes = sorted(slug for slug, tune in tunes().items() if tune.beats_per_bar == 3)
    out = []
    for i in range(n):
        lead = leads[(i // 3) % len(leads)]
        low, high = line_range(lead, generic)
        piece = composer.compose(
            bars=bars,
            tempo=TEMPI["waltz"][i % 3],
            progression=waltzes[i * len(waltzes) // max(1, n)],
            seed=2000 + i,
            like=likes[(i // 3) % len(likes)],
            low=low,
            high=high,
            lead=None if generic else lead,
        )
        out.append((piece, ArrangeOptions(style="waltz", lead=lead)))
    return out


def busier(piece: Piece) -> Piece:
    """``piece`` played the way a soloist would: every note of an eighth or longer split in two (the
    second half a step or half step away), each phrase moved by -12, 0 or +12 at random: about 7.5
    notes a bar over a range far wider than a tune's head."""
    rng = random.Random(piece.seed)
    notes: list[Note] = []
    shift, previous_end = 0, 0
    for note in sorted((n for n in piece.melody if n.pitch is not None), key=lambda n: n.start):
        if note.start - previous_end >= TICKS_PER_QUARTER:
            shift = rng.choice((-12, 0, 0, 12))
        previous_end = note.end
        pitch = (note.pitch or 0) + shift
        if note.duration >= TICKS_PER_QUARTER // 2:
            half = note.duration // 2
            notes.append(Note(pitch, note.start, half, note.velocity))
            notes.append(
                Note(pitch + rng.choice((-2, -1, 1, 2)), note.start + half, note.duration - half, 86)
            )
        else:
            notes.append(Note(pitch, note.start, note.duration, note.velocity))
    return dataclasses.replace(piece, melody=tuple(notes))


@dataclass(frozen=True, slots=True)
class Figures:
    above: float
    covered_above: float
    below: float
    clash: float
    outside: dict[str, float]
    drum_patterns: dict[str, float]
    lead_spread_ms: float
    arrange_p50_ms: float
    arrange_cpu_p50_ms: float
    split: int
    moved: int
    pieces: int
    breaks: list[int]
    by_lead: dict[str, Counts]

    def lines(self) -> list[str]:
        return [
            f"lead above every sounding piano note  {self.above:.3f} "
            f"({self.covered_above:.3f} of the notes with piano under them)",
            f"lead below all of them                {self.below:.3f}",
            f"lead a semitone / b9 from the piano   {self.clash:.3f}",
            "notes outside the instrument's range  "
            + ", ".join(f"{k} {v:.3f}" for k, v in self.outside.items()),
            "distinct drum bars / bars             "
            + ", ".join(f"{k} {v:.2f}" for k, v in self.drum_patterns.items()),
            f"lead onset spread (sd)                {self.lead_spread_ms:.1f} ms",
            f"arrange p50 (16 bars)                 {self.arrange_p50_ms:.1f} ms "
            f"(CPU {self.arrange_cpu_p50_ms:.1f} ms)",
            f"split / moved lines                   {self.split} / {self.moved} of {self.pieces}",
            f"octave breaks (mean leap there)       {len(self.breaks)} "
            f"({statistics.mean(self.breaks) if self.breaks else 0:.1f} semitones)",
            "per lead (on top, buried: of the notes with piano under them)",
            PER_LEAD_HEADER,
            *(counts.row(name) for name, counts in self.by_lead.items()),
        ]


def measure(cases: Sequence[tuple[Piece, ArrangeOptions]]) -> Figures:
    counts = Counts()
    by_lead: dict[str, Counts] = {}
    out: dict[str, list[int]] = {}
    patterns: dict[str, list[int]] = {}
    offsets: list[float] = []
    breaks: list[int] = []
    seconds, cpu = [], []
    shifts = [line_shift(melody_pitches(piece), LEADS[options.lead]) for piece, options in cases]
    for piece, options in cases:
        started, cpu_started = time.perf_counter(), time.process_time()
        arrangement = arrange(piece, options)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        notes = parts(arrangement)
        counts.add(notes, piece.bars)
        by_lead.setdefault(options.lead, Counts()).add(notes, piece.bars)
        for name, (bad, total) in outside(notes, options.lead).items():
            pooled = out.setdefault(name, [0, 0])
            pooled[0] += bad
            pooled[1] += total
        first = piece.bar_ticks if options.count_in else 0
        distinct, bars = drum_patterns(notes["Drums"], first, piece.bars, piece.bar_ticks)
        pooled = patterns.setdefault(options.style, [0, 0])
        pooled[0] += distinct
        pooled[1] += bars
        offsets += lead_offsets_ms(piece, arrangement)
        breaks += octave_breaks(piece, arrangement)
    return Figures(
        above=counts.above / max(1, counts.lead),
        covered_above=counts.covered_above / max(1, counts.covered),
        below=counts.below / max(1, counts.lead),
        clash=counts.clash / max(1, counts.lead),
        outside={name: bad / max(1, total) for name, (bad, total) in out.items()},
        drum_patterns={style: d / max(1, b) for style, (d, b) in patterns.items()},
        lead_spread_ms=statistics.pstdev(offsets) if len(offsets) > 1 else 0.0,
        arrange_p50_ms=statistics.median(seconds) * 1e3,
        arrange_cpu_p50_ms=statistics.median(cpu) * 1e3,
        split=shifts.count(None),
        moved=sum(shift not in (None, 0) for shift in shifts),
        pieces=len(cases),
        breaks=breaks,
        by_lead={name: by_lead[name] for name in LEADS if name in by_lead},
    )


def melody_pitches(piece: Piece) -> list[int]:
    """The sounding pitches of ``piece``'s line, in time order."""
    return [n.pitch for n in sorted(piece.melody, key=lambda n: n.start) if n.pitch is not None]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.arrange_metrics", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=80, help="pieces arranged (16 bars each)")
    parser.add_argument("--lead", choices=tuple(LEADS), help="one lead instrument (default: all in turn)")
    parser.add_argument("--busy", action="store_true", help="denser, wider lines (see busier())")
    parser.add_argument("--waltz", action="store_true", help="jazz waltzes in 3/4 (see waltz_sample())")
    parser.add_argument(
        "--generic-range", action="store_true", help="compose in the default range, not the lead's"
    )
    parser.add_argument(
        "--each-lead", action="store_true", help="the same n pieces for every lead (n x leads in all)"
    )
    parser.add_argument(
        "--like", nargs="+", default=["none"], help="styles of playing in rotation ('none': no style)"
    )
    args = parser.parse_args(argv)
    leads = (args.lead,) if args.lead else tuple(LEADS)
    likes = tuple(None if like == "none" else like for like in args.like)
    pick = waltz_sample if args.waltz else sample
    composer = Composer.load()
    groups = [(lead,) for lead in leads] if args.each_lead else [leads]
    cases = [
        case
        for group in groups
        for case in pick(composer, args.n, leads=group, generic=args.generic_range, likes=likes)
    ]
    if args.busy:
        cases = [(busier(piece), options) for piece, options in cases]
    for piece, options in cases[:3]:
        arrange(piece, options)  # warm caches and imports outside the timing
    figures = measure(cases)
    styles = "waltz" if args.waltz else ", ".join(STYLES)
    lines = ", busier lines" if args.busy else ""
    each = " for each lead" if args.each_lead else ""
    print(
        f"{args.n} pieces of 16 bars{each}{lines} ({styles} in turn; leads: {', '.join(leads)}; "
        f"{len(KEYS)} keys; like: {', '.join(args.like)})"
    )
    print("\n".join(figures.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
