"""Sounding like a soloist at sampling time: per-soloist (per-era fallback) priors from real solos.

The network's soloist input alone does not make "like Parker" play like Parker: the real Parker plays
8.1 notes a bar and Coltrane 5.6, and the network reverses it at 160 bpm (docs/MODEL.md, "Phrasing:
before and after"). Without retraining, the composer adds to the network's logits what the real
training solos say about the requested style, and moves its register pull:

* **rhythm**: ``DENSITY_WEIGHT * log(p_style(c) / p_ref(c))`` for every token of class ``c`` (a note,
  a rest or a tie of a given length in grid units). ``p_ref`` is the whole corpus's class histogram
  *at the style's tempi* (the corpus's per-tempo-band histograms weighted by the style's share of
  tokens in each band): the network already hears the tempo band, so the prior says only how the
  style differs from everyone else at the same tempi. The style's counts are smoothed towards
  ``p_ref`` with :data:`SMOOTHING` tokens.
* **intervals**: the same log-ratio over interval sizes (``|pitch - previous|``, 0..12 semitones,
  then one bucket for anything wider), ``INTERVAL_WEIGHT`` times, for every pitched token.
* **register**: the line's centre (what the network hears as its register and the pull draws to)
  moves from the middle of the range by the style's median pitch minus the corpus's (clamped so
  that the centre stays ``MARGIN`` semitones inside the range), and the pull's target *breathes*:
  every 8-bar block from the start draws an offset from a normal distribution with the style's
  spread of 8-bar median pitches around the solo's median (``BREATH_SCALE`` times it), and the
  target moves linearly from one block's offset to the next. The offsets come from their own random
  stream and do not depend on what is played, so a longer piece with the same seed breathes the
  same way through its first bars (Extend) and the same seed gives the same piece.

Without a style the corpus's own table applies: no rhythm or interval bias (the log-ratio is 0), only
the breathing register. ``python -m model.style_priors --build`` derives the tables from the training
solos of :func:`model.wjazzd.split` and writes ``model/data/style_priors.json`` (byte for byte the same
from the same data); ``python -m model.style_priors`` prints a summary of the committed file.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.errors import InputError
from model.melody_metrics import SPREAD_WINDOW_BARS, window_medians
from model.paths import DATA_DIR
from model.phrasing import tempo_band, training_solos
from model.sequences import centre_of, solo_events
from model.tokens import REST, TIE, token_grid, token_kind
from model.wjazzd import Solo

PRIORS_FILE = DATA_DIR / "style_priors.json"
MAX_INTERVAL = 13
"""Interval buckets 0..12 semitones one by one, then one for anything wider."""
MIN_NOTES = 2000
"""A soloist gets priors of his or her own with at least this many notes in the training solos."""
SMOOTHING = 2000.0
"""A style's histograms are smoothed towards the reference as if they held this many more tokens."""
MAX_LOG_RATIO = 2.0
DENSITY_WEIGHT = 1.0
"""How much of the rhythm log-ratio reaches the logits (tuned on training solos, docs/MODEL.md)."""
INTERVAL_WEIGHT = 1.0
"""How much of the interval log-ratio reaches the logits."""
BREATH_SCALE = 1.0
"""The breathing offsets' spread as a share of the style's real spread of 8-bar median pitches."""
BREATH_PULL = 1.0
"""How hard the line is drawn towards the breathing target (multiples of the register pull)."""
MARGIN = 9.0
"""The moved centre stays at least this many semitones inside the range."""
REST_CLASS, TIE_CLASS, NOTE_CLASS = "r", "t", "n"
ALL = "all"


def token_class(token: str) -> str:
    """A token's rhythm class: kind (rest, tie, note) and length, e.g. ``"n6"`` or ``"r24"``."""
    kind = token_kind(token)
    prefix = REST_CLASS if kind == REST else TIE_CLASS if kind == TIE else NOTE_CLASS
    return f"{prefix}{token_grid(token)}"


@dataclass(frozen=True, slots=True)
class SoloCounts:
    """What one solo contributes: token classes, interval sizes (between consecutive notes of a
    line), its median pitch and the deviations of its 8-bar window medians from that median."""

    band: int
    classes: Counter[str]
    intervals: Counter[int]
    notes: int
    median: float
    deviations: tuple[float, ...]


def count_solo(solo: Solo) -> SoloCounts:
    classes: Counter[str] = Counter()
    intervals: Counter[int] = Counter()
    for _, events in solo_events(solo):
        classes.update(token_class(e.token) for e in events)
        pitches = [e.pitch for e in events if e.pitch is not None and token_kind(e.token) != TIE]
        intervals.update(min(abs(b - a), MAX_INTERVAL) for a, b in pairwise(pitches))
    median = centre_of(solo)
    deviations: tuple[float, ...] = ()
    if solo.beats_per_bar == 4:  # window_medians counts 4/4 bars
        deviations = tuple(m - median for m in window_medians(solo.notes, solo.bars, SPREAD_WINDOW_BARS))
    return SoloCounts(tempo_band(solo.tempo), classes, intervals, len(solo.notes), median, deviations)


@dataclass(frozen=True, slots=True)
class Prior:
    """One style's table: rhythm and interval log-ratios, register centre offset and breath."""

    density: dict[str, float]  # token class -> log-ratio (absent: 0)
    intervals: tuple[float, ...]  # interval bucket 0..MAX_INTERVAL -> log-ratio
    offset: float  # the style's median pitch minus the corpus's (semitones)
    breath: float  # sd of 8-bar window medians around the solo's median (semitones)
    notes: int


@dataclass(frozen=True, slots=True)
class Priors:
    styles: dict[str, Prior]  # ALL, eras, soloists
    source: str

    def of(self, era: str | None, soloist: str | None) -> Prior:
        """A soloist's prior, else the era's, else the corpus's."""
        return self.styles.get(soloist or "") or self.styles.get(era or "") or self.styles[ALL]


def _log_ratio(
    own: Counter[Any], reference: dict[Any, float], keys: Iterable[Any]
) -> dict[Any, float]:
    """``log(p_own / p_ref)`` per key, ``own`` smoothed towards ``reference`` by :data:`SMOOTHING`."""
    total = sum(own.values())
    result = {}
    for key in keys:
        ref = reference.get(key, 0.0)
        if ref <= 0:
            continue
        smoothed = (own.get(key, 0) + SMOOTHING * ref) / (total + SMOOTHING)
        result[key] = float(np.clip(np.log(smoothed / ref), -MAX_LOG_RATIO, MAX_LOG_RATIO))
    return result


def _shares(counter: Counter[Any]) -> dict[Any, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.items()} if total else {}


def _reference(
    members: Sequence[SoloCounts], bands: dict[int, tuple[Counter[str], Counter[int]]]
) -> tuple[dict[str, float], dict[int, float]]:
    """The corpus's class and interval shares at the tempi of ``members`` (weighted by their tokens
    per tempo band)."""
    weights: Counter[int] = Counter()
    for m in members:
        weights[m.band] += sum(m.classes.values())
    total = sum(weights.values())
    classes: dict[str, float] = {}
    intervals: dict[int, float] = {}
    for band, weight in weights.items():
        for key, share in _shares(bands[band][0]).items():
            classes[key] = classes.get(key, 0.0) + weight / total * share
        for key, share in _shares(bands[band][1]).items():
            intervals[key] = intervals.get(key, 0.0) + weight / total * share
    return classes, intervals


def _prior(members: Sequence[SoloCounts], bands: dict[int, tuple[Counter[str], Counter[int]]], corpus_median: float) -> Prior:
    classes: Counter[str] = Counter()
    intervals: Counter[int] = Counter()
    for m in members:
        classes.update(m.classes)
        intervals.update(m.intervals)
    ref_classes, ref_intervals = _reference(members, bands)
    density = _log_ratio(classes, ref_classes, sorted(ref_classes))
    by_interval = _log_ratio(intervals, ref_intervals, range(MAX_INTERVAL + 1))
    deviations = [d for m in members for d in m.deviations]
    median = statistics.median(m.median for m in members)
    breath = float(np.sqrt(np.mean(np.square(deviations)))) if deviations else 0.0
    return Prior(
        {k: v for k, v in density.items() if abs(v) >= 5e-4},
        tuple(by_interval.get(i, 0.0) for i in range(MAX_INTERVAL + 1)),
        median - corpus_median,
        breath,
        sum(m.notes for m in members),
    )


def build(solos: Sequence[Solo]) -> Priors:
    """The priors of ``solos`` (the training solos, every meter)."""
    counted = [(s, count_solo(s)) for s in solos]
    bands: dict[int, tuple[Counter[str], Counter[int]]] = {}
    for _, c in counted:
        classes, intervals = bands.setdefault(c.band, (Counter(), Counter()))
        classes.update(c.classes)
        intervals.update(c.intervals)
    corpus_median = statistics.median(c.median for _, c in counted)
    groups: dict[str, list[SoloCounts]] = {ALL: [c for _, c in counted]}
    for solo, c in counted:
        groups.setdefault(solo.era, []).append(c)
    performers: dict[str, list[SoloCounts]] = {}
    for solo, c in counted:
        performers.setdefault(solo.performer, []).append(c)
    groups |= {p: m for p, m in sorted(performers.items()) if sum(c.notes for c in m) >= MIN_NOTES}
    styles = {name: _prior(members, bands, corpus_median) for name, members in groups.items()}
    return Priors(styles, f"{len(solos)} WJazzD training solos")


def to_json(priors: Priors) -> str:
    def entry(p: Prior) -> dict[str, object]:
        return {
            "notes": p.notes,
            "offset": round(p.offset, 3),
            "breath": round(p.breath, 3),
            "intervals": [round(v, 4) for v in p.intervals],
            "density": {k: round(v, 4) for k, v in sorted(p.density.items(), key=_class_order)},
        }

    data = {
        "source": priors.source,
        "max_interval": MAX_INTERVAL,
        "styles": {name: entry(p) for name, p in priors.styles.items()},
    }
    return json.dumps(data, separators=(",", ":")) + "\n"


def _class_order(item: tuple[str, float]) -> tuple[str, int]:
    return item[0][0], int(item[0][1:])


def from_json(text: str) -> Priors:
    data = json.loads(text)
    if data["max_interval"] != MAX_INTERVAL:
        raise ValueError("the style priors were built with other settings; run python -m model.style_priors --build")
    styles = {
        name: Prior(
            {k: float(v) for k, v in e["density"].items()},
            tuple(float(v) for v in e["intervals"]),
            float(e["offset"]),
            float(e["breath"]),
            int(e["notes"]),
        )
        for name, e in data["styles"].items()
    }
    return Priors(styles, data["source"])


@cache
def load_priors(path: Path = PRIORS_FILE) -> Priors:
    return from_json(path.read_text())


@dataclass(slots=True)
class StylePrior:
    """One line's prior: what :meth:`shift` adds to the network's logits before each draw.

    ``pull`` is the composer's register pull per token (log-odds per semitone squared, 0 for tokens
    without a pitch); the prior only moves the centre it pulls towards."""

    density: npt.NDArray[np.float64]  # per token: DENSITY_WEIGHT * log-ratio of its class
    intervals: npt.NDArray[np.float64]  # per interval bucket: INTERVAL_WEIGHT * log-ratio
    pull: npt.NDArray[np.float64]
    centre: float  # what the network hears as the line's centre
    breath: float
    block: int  # grid units per breathing block (8 bars)
    rng: np.random.Generator
    targets: list[float]  # the pull's centre offset at the start of block 0, 1, ...

    @classmethod
    def start(
        cls,
        vocab: Sequence[str],
        pull: npt.NDArray[np.float64],
        seed: int,
        era: str | None,
        soloist: str | None,
        low: int,
        high: int,
        bar_grid: int,
    ) -> StylePrior:
        prior = load_priors().of(era, soloist)
        density = _density_row(tuple(vocab), era, soloist)
        intervals = INTERVAL_WEIGHT * np.array(prior.intervals)
        middle = (low + high) / 2
        room = max(0.0, (high - low) / 2 - MARGIN)
        centre = middle + float(np.clip(prior.offset, -room, room))
        return cls(
            density, intervals, pull, centre, BREATH_SCALE * prior.breath, SPREAD_WINDOW_BARS * bar_grid,
            np.random.default_rng([seed, 5]), [],
        )

    def target(self, time: int) -> float:
        """The pull's centre at ``time`` (grid units from the start)."""
        block, within = divmod(time, self.block)
        while len(self.targets) < block + 2:
            self.targets.append(float(self.rng.normal(0.0, self.breath)) if self.breath else 0.0)
        a, b = self.targets[block], self.targets[block + 1]
        return self.centre + a + (b - a) * within / self.block

    def shift(self, pitches: npt.NDArray[np.int64], previous: int | None, time: int) -> npt.NDArray[np.float64]:
        """What to add to the logits: the rhythm and interval priors and the (breathing) register pull."""
        shift = self.density - self.pull * (pitches - self.centre) ** 2
        if previous is not None:
            towards = BREATH_PULL * (self.target(time) - self.centre) * (pitches - previous)
            shift = shift + self.intervals[np.minimum(np.abs(pitches - previous), MAX_INTERVAL)]
            shift += 2 * self.pull * towards
        return shift


@cache
def _density_row(vocab: tuple[str, ...], era: str | None, soloist: str | None) -> npt.NDArray[np.float64]:
    density = load_priors().of(era, soloist).density
    row = np.array([density.get(token_class(t), 0.0) for t in vocab]) * DENSITY_WEIGHT
    row.flags.writeable = False
    return row


def summary(priors: Priors) -> str:
    rows = ["| style | notes | centre offset | breath (sd) | mean note-class log-ratio, n3..n6 / n12+ |", "|---|---:|---:|---:|---:|"]
    for name, p in priors.styles.items():
        short = [v for k, v in p.density.items() if k[0] == NOTE_CLASS and int(k[1:]) <= 6]
        long = [v for k, v in p.density.items() if k[0] == NOTE_CLASS and int(k[1:]) >= 12]
        rows.append(
            f"| {name} | {p.notes:,} | {p.offset:+.1f} | {p.breath:.2f} | "
            f"{np.mean(short) if short else 0:+.2f} / {np.mean(long) if long else 0:+.2f} |"
        )
    return "\n".join([f"Style priors from {priors.source}.", "", *rows])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.style_priors", description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help=f"derive the priors and write {PRIORS_FILE.name}")
    parser.add_argument("--wjazzd", type=Path, help="WJazzD folder (default: shared)")
    parser.add_argument("--out", type=Path, default=PRIORS_FILE, help="where --build writes")
    args = parser.parse_args(argv)
    if args.build:
        try:
            solos = training_solos(args.wjazzd)
        except InputError as error:
            print(f"error: {error}")
            return 2
        args.out.write_text(to_json(build(solos)))
        print(f"wrote {args.out}")
    print(summary(load_priors(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
