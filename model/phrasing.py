"""Phrasing like a soloist: when a phrase ends and how long the rest after it lasts, from real solos.

The network alone plays phrases twice as long as real soloists (35 notes against 17) with too few
rests between them (docs/MODEL.md, "Evaluation"). So the composer no longer leaves phrase ends to
the network's rest tokens: after every note a *phrase-end hazard* decides, with the probability real
solos end a phrase after that many notes, whether the phrase ends here; then only rest tokens may be
drawn until a *gap* drawn from the real solos' gaps between phrases has passed. Inside a phrase a
rest may only be a breath (shorter than :data:`PHRASE_GAP_GRID`, one beat). The network still
chooses every note, breath and rest length; the table only says when to stop and for how long.

A phrase is what ``model.evaluate`` measures (:func:`model.melody_metrics.phrases`): notes separated
by a silence of at least one beat. The hazard after the ``k``-th note of a phrase is
``h(k) * m(d)``: ``h(k) = n_k / (n_k + n_{k+1} + ...)`` from the phrase-length histogram ``n`` of the
style's table (a soloist's, an era's or, without a style, the tempo band's), and ``m(d)`` how much
likelier a phrase ends after a note of that length (grid units, ties included) than after the average
note (a held note ends phrases five times as often as the average, a sixteenth a third as often).

``python -m model.phrasing --build`` derives the tables from the training solos of
:func:`model.wjazzd.split` and writes ``model/data/phrasing.json`` (byte for byte the same from the
same data); ``python -m model.phrasing`` prints a summary of the committed file.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.conditioning import ERAS, TEMPO_BINS
from model.melody_metrics import PHRASE_GAP, phrases
from model.paths import DATA_DIR
from model.piece import Note
from model.table_command import run_table, table_parser
from model.tokens import GRID, LEGATO_GAP
from model.wjazzd import Solo, load_solos, split

PHRASING_FILE = DATA_DIR / "phrasing.json"
PHRASE_GAP_GRID = PHRASE_GAP // GRID
"""A silence of this many grid units (one beat) or more ends a phrase; a shorter one is a breath."""
MAX_NOTES = 48
"""The length histogram counts phrases of 1..MAX_NOTES-1 notes one by one; longer ones share the
last slot and a geometric tail (their notes beyond MAX_NOTES - 1 are counted too)."""
GAP_STEP = 3
"""Gaps are kept in sixteenths (3 grid units) from one beat ..."""
MAX_GAP = 96
"""... to two bars; a longer silence (the soloist laying out) counts as two bars."""
DURATION_EDGES = (4, 6, 9, 12, 24)
"""Note-length classes for ``m(d)`` in grid units: under a triplet eighth, under an eighth, under a
dotted eighth, under a beat, under two beats, longer."""
MIN_PHRASES = 100
"""A soloist gets a table of his or her own with at least this many phrases in the training solos."""
PRIOR_PHRASES = 50
"""A soloist's or era's table is smoothed towards the tempo band's as if it held this many more
phrases shaped like the band's."""
REST_KIND, NOTE_KIND, TIE_KIND = 0, 1, 2
MIN_SURVIVING = 20
"""Below this many phrases reaching a length, the hazard is pooled over the longer lengths."""
MAX_HAZARD = 0.95


@dataclass(frozen=True, slots=True)
class Counts:
    """One table: ``lengths[k - 1]`` phrases of ``k`` notes (the last slot: ``MAX_NOTES`` or more,
    with ``tail_notes`` notes from the ``MAX_NOTES``-th on) and ``gaps[i]`` silences between phrases
    of ``PHRASE_GAP_GRID + i * GAP_STEP`` grid units (rounded down to a sixteenth, at most MAX_GAP)."""

    lengths: tuple[float, ...]
    tail_notes: float
    gaps: tuple[float, ...]

    @property
    def phrases(self) -> float:
        return sum(self.lengths)

    def plus(self, other: Counts, weight: float) -> Counts:
        """These counts plus ``other``'s scaled to ``weight`` phrases (gaps to ``weight`` gaps)."""
        scale, gap_scale = weight / max(other.phrases, 1e-9), weight / max(sum(other.gaps), 1e-9)
        return Counts(
            tuple(a + scale * b for a, b in zip(self.lengths, other.lengths, strict=True)),
            self.tail_notes + scale * other.tail_notes,
            tuple(a + gap_scale * b for a, b in zip(self.gaps, other.gaps, strict=True)),
        )


def gap_values() -> tuple[int, ...]:
    """The gap (grid units) each :attr:`Counts.gaps` slot stands for."""
    return tuple(range(PHRASE_GAP_GRID, MAX_GAP + 1, GAP_STEP))


def duration_class(grid: int) -> int:
    return bisect.bisect_right(DURATION_EDGES, grid)


def tempo_band(tempo: float) -> int:
    """The conditioning's tempo band (:data:`model.conditioning.TEMPO_BINS`)."""
    return bisect.bisect_left(TEMPO_BINS, tempo)


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything the composer's phrasing reads: counts per tempo band, era and soloist, and the
    phrase-end share after each note-length class relative to all notes (``m(d)``)."""

    bands: tuple[Counts, ...]
    eras: dict[str, Counts]
    soloists: dict[str, Counts]
    duration_factor: tuple[float, ...]
    source: str

    def counts(self, band: int, era: str | None, soloist: str | None) -> Counts:
        """The table for a style at a tempo band (:func:`tempo_band`)."""
        band_counts = self.bands[min(band, len(self.bands) - 1)]
        own = self.soloists.get(soloist or "") or self.eras.get(era or "")
        return band_counts if own is None else own.plus(band_counts, PRIOR_PHRASES)


def hazard(counts: Counts) -> npt.NDArray[np.float64]:
    """``h[k]``: chance that a phrase which has reached ``k`` notes ends there (``h[0]`` unused).

    ``h[k] = n_k / (phrases with k notes or more)``; where fewer than :data:`MIN_SURVIVING` phrases
    reach ``k`` (and from ``MAX_NOTES`` on) the rate is pooled over everything from ``k`` on: those
    phrases over the notes they play from their ``k``-th on, so a thin tail does not swing to 0 or 1."""
    lengths = np.array(counts.lengths)
    surviving = np.cumsum(lengths[::-1])[::-1]  # phrases with k notes or more (k = 1..MAX_NOTES)
    # notes played from the k-th on: one per surviving phrase at each position, plus the tail's
    notes_from = np.cumsum(surviving[::-1])[::-1] + counts.tail_notes - surviving[-1]
    result = np.zeros(MAX_NOTES + 1)
    result[1:MAX_NOTES] = lengths[:-1] / np.maximum(surviving[:-1], 1e-9)
    pooled = surviving / np.maximum(notes_from, 1e-9)
    thin = surviving < MIN_SURVIVING
    result[1:][thin] = pooled[thin]
    result[MAX_NOTES] = pooled[-1]
    return np.clip(result, 0.0, 1.0)


@cache
def _shape(
    band: int, era: str | None, soloist: str | None
) -> tuple[tuple[float, ...], tuple[float, ...], npt.NDArray[np.float64]]:
    """(hazard, duration factor, cumulative gap distribution) of a style at a tempo band."""
    tables = load_tables()
    counts = tables.counts(band, era, soloist)
    weights = np.array(counts.gaps)
    chances = tuple(float(h) for h in hazard(counts))
    return chances, tables.duration_factor, np.cumsum(weights) / weights.sum()


def _token_lengths(line: Sequence[Note]) -> list[int]:
    """Each note's length in grid units as the tokens hear it: a silence shorter than an eighth
    (:data:`model.tokens.LEGATO_GAP`) joins the note before it."""
    ends = [b.start if b.start - a.end < LEGATO_GAP * GRID else a.end for a, b in pairwise(line)] + [
        n.end for n in line[-1:]
    ]
    return [max(1, round((end - n.start) / GRID)) for n, end in zip(line, ends, strict=True)]


def count_solo(solo: Solo) -> tuple[Counts, Counter[int], Counter[int]]:
    """One solo's phrase lengths and gaps, and per note-length class how many notes it has and how
    many of them end a phrase."""
    cut = phrases(solo.notes)
    lengths = [0.0] * MAX_NOTES
    tail = 0.0
    for phrase in cut:
        lengths[min(len(phrase), MAX_NOTES) - 1] += 1
        tail += max(0, len(phrase) - MAX_NOTES + 1)
    gaps = [0.0] * len(gap_values())
    for a, b in pairwise(cut):
        grid = min(MAX_GAP, (b[0].start - a[-1].end) // GRID)
        gaps[(grid - PHRASE_GAP_GRID) // GAP_STEP] += 1
    notes: Counter[int] = Counter()
    ends: Counter[int] = Counter()
    for phrase in cut:
        for i, grid in enumerate(_token_lengths(phrase)):
            notes[duration_class(grid)] += 1
            ends[duration_class(grid)] += int(i == len(phrase) - 1)
    return Counts(tuple(lengths), tail, tuple(gaps)), notes, ends


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts((0.0,) * MAX_NOTES, 0.0, (0.0,) * len(gap_values()))
    for c in counts:
        total = Counts(
            tuple(a + b for a, b in zip(total.lengths, c.lengths, strict=True)),
            total.tail_notes + c.tail_notes,
            tuple(a + b for a, b in zip(total.gaps, c.gaps, strict=True)),
        )
    return total


def build(solos: Sequence[Solo]) -> Tables:
    """The tables of ``solos`` (the training solos: every meter, whole solos)."""
    per_solo = {s.name: count_solo(s) for s in solos}
    bands = tuple(
        _sum(per_solo[s.name][0] for s in solos if tempo_band(s.tempo) == band)
        for band in range(len(TEMPO_BINS) + 1)
    )
    eras = {era: _sum(per_solo[s.name][0] for s in solos if s.era == era) for era in ERAS}
    soloists = {}
    for performer in sorted({s.performer for s in solos}):
        counts = _sum(per_solo[s.name][0] for s in solos if s.performer == performer)
        if counts.phrases >= MIN_PHRASES:
            soloists[performer] = counts
    notes: Counter[int] = Counter()
    ends: Counter[int] = Counter()
    for _, solo_notes, solo_ends in per_solo.values():
        notes.update(solo_notes)
        ends.update(solo_ends)
    overall = sum(ends.values()) / max(sum(notes.values()), 1)
    factor = tuple(ends[d] / notes[d] / overall if notes[d] else 1.0 for d in range(len(DURATION_EDGES) + 1))
    return Tables(
        bands,
        {e: c for e, c in eras.items() if c.phrases},
        soloists,
        factor,
        f"{len(solos)} WJazzD training solos",
    )


def _rounded(values: Iterable[float]) -> list[float]:
    return [round(v, 4) for v in values]


def to_json(tables: Tables) -> str:
    def counts(c: Counts) -> dict[str, object]:
        return {
            "lengths": _rounded(c.lengths),
            "tail_notes": round(c.tail_notes, 4),
            "gaps": _rounded(c.gaps),
        }

    data = {
        "source": tables.source,
        "phrase_gap_grid": PHRASE_GAP_GRID,
        "max_notes": MAX_NOTES,
        "gap_step": GAP_STEP,
        "max_gap": MAX_GAP,
        "duration_edges": list(DURATION_EDGES),
        "duration_factor": _rounded(tables.duration_factor),
        "bands": [counts(c) for c in tables.bands],
        "eras": {e: counts(c) for e, c in sorted(tables.eras.items())},
        "soloists": {s: counts(c) for s, c in sorted(tables.soloists.items())},
    }
    return json.dumps(data, indent=None, separators=(",", ":"), sort_keys=False) + "\n"


def from_json(text: str) -> Tables:
    data = json.loads(text)
    expected = (PHRASE_GAP_GRID, MAX_NOTES, GAP_STEP, MAX_GAP, list(DURATION_EDGES))
    found = (
        data["phrase_gap_grid"],
        data["max_notes"],
        data["gap_step"],
        data["max_gap"],
        data["duration_edges"],
    )
    if found != expected:
        raise ValueError(
            "the phrasing table was built with other settings; run python -m model.phrasing --build"
        )

    def counts(entry: dict[str, Any]) -> Counts:
        return Counts(
            tuple(float(v) for v in entry["lengths"]),
            float(entry["tail_notes"]),
            tuple(float(v) for v in entry["gaps"]),
        )

    return Tables(
        tuple(counts(c) for c in data["bands"]),
        {e: counts(c) for e, c in data["eras"].items()},
        {s: counts(c) for s, c in data["soloists"].items()},
        tuple(data["duration_factor"]),
        data["source"],
    )


@cache
def load_tables(path: Path = PHRASING_FILE) -> Tables:
    return from_json(path.read_text())


def training_solos(folder: Path | None = None) -> list[Solo]:
    """The solos ``model.train`` learns from: the training side of :func:`model.wjazzd.split`."""
    solos = load_solos(folder).solos
    train, _ = split(s.name for s in solos)
    keep = set(train)
    return [s for s in solos if s.name in keep]


@dataclass(frozen=True, slots=True)
class TokenTable:
    """What phrasing needs to know of a vocabulary, as masks over it (built once per composer)."""

    grid: npt.NDArray[np.int64]
    is_rest: npt.NDArray[np.bool_]
    is_note: npt.NDArray[np.bool_]
    rests_upto: npt.NDArray[np.bool_]  # [g, token]: a rest of at most g grid units
    breath: npt.NDArray[np.bool_]  # [r, token]: not a rest, or a rest that keeps a run of r under a beat
    steps: tuple[tuple[int, int], ...]  # per token (kind: REST_KIND, NOTE_KIND or TIE_KIND, grid units)

    @classmethod
    def of(
        cls, grid: npt.NDArray[np.int64], is_rest: npt.NDArray[np.bool_], is_note: npt.NDArray[np.bool_]
    ) -> TokenTable:
        limits = np.arange(MAX_GAP + 1)[:, None]
        rests_upto = is_rest[None, :] & (grid[None, :] <= limits)
        runs = np.arange(PHRASE_GAP_GRID)[:, None]
        breath = ~is_rest[None, :] | (runs + grid[None, :] < PHRASE_GAP_GRID)
        kinds = np.where(is_rest, REST_KIND, np.where(is_note, NOTE_KIND, TIE_KIND))
        steps = tuple(zip(kinds.tolist(), grid.tolist(), strict=True))
        return cls(grid, is_rest, is_note, rests_upto, breath, steps)


@dataclass(slots=True)
class Phrasing:
    """One line's phrasing state; :meth:`allow` narrows the composer's mask before each draw.

    It reads the tokens played so far (drawn, restated or the member's idea alike), so it needs no
    other hook; its random draws come from its own stream, in time order, so a longer piece with the
    same seed phrases its first bars the same way (Extend)."""

    tokens: TokenTable
    hazard: tuple[float, ...]  # by notes in the phrase (model.phrasing.hazard)
    factor: tuple[float, ...]  # by duration class of the last note
    gap_cdf: npt.NDArray[np.float64]
    gaps: npt.NDArray[np.int64]
    rng: np.random.Generator
    opening: int  # grid units of rest the line may open with (half a bar)
    seen: int = 0  # tokens read so far
    notes: int = 0  # notes in the current phrase (0 before the first note)
    run: int = 0  # grid units of rest since the last note
    length: int = 0  # grid units of the last note (with its ties)
    decided: bool = True  # the hazard has been drawn for the last note
    gap: int = 0  # the silence being kept (0: none)

    @classmethod
    def start(
        cls,
        tokens: TokenTable,
        seed: int,
        tempo: float,
        era: str | None,
        soloist: str | None,
        bar_grid: int,
    ) -> Phrasing:
        chances, factor, gap_cdf = _shape(tempo_band(tempo), era, soloist)
        gaps = np.array(gap_values())
        return cls(tokens, chances, factor, gap_cdf, gaps, np.random.default_rng([seed, 3]), bar_grid // 2)

    @property
    def resting(self) -> bool:
        """Whether a phrase has ended and its silence is still being kept."""
        return self.gap > 0

    def _read(self, played: Sequence[int]) -> None:
        steps = self.tokens.steps
        for token in played[self.seen :]:
            kind, grid = steps[token]
            if kind == REST_KIND:
                self.run += grid
            elif kind == NOTE_KIND:
                self.notes = 1 if self.run >= PHRASE_GAP_GRID or not self.notes else self.notes + 1
                self.run, self.length, self.decided, self.gap = 0, grid, False, 0
            else:  # a tie: the last note goes on
                self.length += grid
        self.seen = len(played)

    def allow(self, allowed: npt.NDArray[np.bool_], played: Sequence[int]) -> npt.NDArray[np.bool_]:
        """``allowed`` narrowed to what phrasing permits now (never to nothing: when the narrowing
        would leave no token, ``allowed`` is returned as it is)."""
        self._read(played)
        if not self.notes:
            return self._opening(allowed)
        if not self.decided:
            self.decided = True
            chance = self.hazard[min(self.notes, MAX_NOTES)] * self.factor[duration_class(self.length)]
            if self.rng.random() < min(chance, MAX_HAZARD):
                self.gap = int(self.gaps[int(np.searchsorted(self.gap_cdf, self.rng.random(), side="right"))])
        if self.gap:
            if self.run < self.gap:
                fitting = allowed & self.tokens.rests_upto[min(self.gap - self.run, MAX_GAP)]
                return _unless_empty(fitting, allowed & self.tokens.is_rest, allowed)
            self.gap = 0
            return _unless_empty(allowed & ~self.tokens.is_rest, allowed)
        if self.run < PHRASE_GAP_GRID:
            breathing = allowed & self.tokens.breath[self.run]
            return breathing if np.count_nonzero(breathing) else allowed
        return allowed

    def _opening(self, allowed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Before the first note the network chooses how the line begins, but the soloist comes in
        within half a bar: the network learned from windows cut anywhere in a solo, so it opened a
        fifth of its pieces with more than a bar of rest and some with seven; 85% of WJazzD's
        soloists enter within half a bar of their chorus (54% on a pickup), docs/MODEL.md "Phrasing"."""
        if self.run >= self.opening:
            return _unless_empty(allowed & ~self.tokens.is_rest, allowed)
        fitting = allowed & (~self.tokens.is_rest | self.tokens.rests_upto[self.opening - self.run])
        return _unless_empty(fitting, allowed)


def _unless_empty(*candidates: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The first candidate mask that allows something (the last one regardless)."""
    for mask in candidates[:-1]:
        if np.count_nonzero(mask):  # a third of what mask.any() costs at these sizes
            return mask
    return candidates[-1]


def summary(tables: Tables) -> str:
    def line(label: str, c: Counts) -> str:
        values = gap_values()
        mean_length = (
            sum(k * n for k, n in enumerate(c.lengths[:-1], 1))
            + c.lengths[-1] * (MAX_NOTES - 1)
            + c.tail_notes
        ) / max(c.phrases, 1e-9)
        mean_gap = sum(g * n for g, n in zip(values, c.gaps, strict=True)) / max(sum(c.gaps), 1e-9) / 12
        return f"| {label} | {c.phrases:,.0f} | {mean_length:.1f} | {mean_gap:.2f} |"

    rows = ["| table | phrases | mean notes | mean gap (beats) |", "|---|---:|---:|---:|"]
    bounds = [f"< {b}" for b in TEMPO_BINS] + [f">= {TEMPO_BINS[-1]}"]
    rows += [line(f"tempo {b} bpm", c) for b, c in zip(bounds, tables.bands, strict=True)]
    rows += [line(f"era {e}", c) for e, c in tables.eras.items()]
    rows += [line(s, c) for s, c in tables.soloists.items()]
    factors = ", ".join(f"{f:.2f}" for f in tables.duration_factor)
    return "\n".join(
        [
            f"Phrasing tables from {tables.source}.",
            "",
            *rows,
            "",
            f"m(d) by note length class {list(DURATION_EDGES)}: {factors}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = table_parser("model.phrasing", __doc__, PHRASING_FILE, "tables").parse_args(argv)
    return run_table(
        args, training_solos, lambda solos: to_json(build(solos)), lambda out: summary(load_tables(out))
    )


if __name__ == "__main__":
    raise SystemExit(main())
