"""Sounding like a soloist at sampling time: per-soloist (per-era fallback) priors from real solos.

The network's soloist input alone does not make "like Parker" play like Parker (docs/MODEL.md,
"Style priors: before and after"): at 160 bpm it gives Coltrane more notes a bar than Parker, where
the real Parker plays 7.1 and Coltrane 5.2 at 150-190 bpm. Without retraining, the composer adds to
the network's logits what the training solos say about the requested style, and lets the register
breathe:

* **rhythm**: per tempo band (:data:`model.conditioning.TEMPO_BINS`), ``DENSITY_WEIGHT * log(p_real(c)
  / p_played(c))`` for every token of class ``c`` (a note, rest or tie of a given length,
  :func:`token_class`). ``p_real`` is the style's own share at that band, smoothed (``SMOOTHING``
  tokens) towards the corpus's share at the band tilted the way the style's tokens over all its
  tempi differ from the corpus's at the same tempi; ``p_played`` is what the shipped model plays for
  that style at that band *without* the correction (``CALIBRATION_PIECES`` pieces at
  :data:`BAND_TEMPI`, seeds from :data:`CALIBRATION_SEED`: never the evaluation's). A plain
  log-ratio against the corpus does not work: it assumes the network plays the corpus, and it does
  not (it made "like Coltrane" denser still).
* **pace**: token shares do not pin down notes per bar while :mod:`model.phrasing` decides where
  the rests between phrases go, so each style also gets, per tempo band, a *pace*: ``pace *
  log2(PACE_UNIT / length)`` is added for every token (shorter tokens, more notes a bar), calibrated
  (:func:`_paces`) so that the style's notes per bar at the band's tempo match its real solos' there
  (:func:`_pace_targets`: the corpus's notes per beat at the band times the style's leaning, its own
  at that band smoothed towards its leaning over all its tempi). Before it, "like Coltrane" played
  7.0 notes a bar at 160 bpm and "like Parker" 6.3, where the real Coltrane plays 5.3 and Parker 7.1.
  Before the pace is calibrated the rhythm and interval log-ratios get a second round
  (:func:`_refined`).
* **intervals**: the same calibrated log-ratio over interval sizes (``|pitch - previous|``, 0..12
  semitones, then one bucket for anything wider), ``INTERVAL_WEIGHT`` times, for pitched tokens.
* **register**: the style's centre offset (its median pitch minus the corpus's) and breath (sd of
  its 8-bar median pitches around the solo's median), which :mod:`model.register` turns into the
  line's centre and the phrase-to-phrase movement of its register.

Without a style (:data:`ALL`) the network plays as it is: no rhythm or interval correction, only the
register's movement (a corpus-wide correction made the lines denser and less like the real solos by
H1 and motif recurrence, measured in docs/MODEL.md); its intervals get :mod:`model.leaps` instead.
``python -m model.style_priors --build`` derives the tables from the training solos of
:func:`model.wjazzd.split` and the shipped model and writes
``model/data/style_priors.json`` (byte for byte the same from the same data and model; rebuild after
retraining); ``python -m model.style_priors`` prints a summary of the committed file.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from model.conditioning import ERAS
from model.melody_metrics import SPREAD_WINDOW_BARS, window_medians
from model.paths import DATA_DIR, DEFAULT_MODEL_DIR
from model.phrasing import Phrasing, tempo_band, training_solos
from model.register import MAX_MOVE, TILT_STEPS, Register, centre_of_range, within_range
from model.sequences import centre_of, solo_events
from model.table_command import run_table, table_parser
from model.tokens import REST, TIE, token_grid, token_kind
from model.wjazzd import Solo

if TYPE_CHECKING:
    from model.compose import Composer

PRIORS_FILE = DATA_DIR / "style_priors.json"
MAX_INTERVAL = 13
"""Interval buckets 0..12 semitones one by one, then one for anything wider."""
MIN_NOTES = 2000
"""A soloist gets priors of his or her own with at least this many notes in the training solos."""
SMOOTHING = 500.0
"""A style's histograms are smoothed towards the reference as if they held this many more tokens."""
CALIBRATION_SMOOTHING = 300.0
"""Generated shares are smoothed towards the target by this many tokens (or intervals)."""
BAND_TEMPI = (90, 130, 170, 215, 270)
"""The tempo the calibration composes at for each conditioning tempo band."""
CALIBRATION_PIECES = 48
"""Pieces per style and band for each calibration pass. At 24 a rebuild on a changed sampler (session 7)
reversed like Parker and like Coltrane at 160 bpm on the default requests (6.61 against 6.75 notes a
bar, though 6.72 against 5.81 on the calibration's own pieces): the rhythm tables moved by up to 0.7 in
log-ratio between builds. At 48: 6.84 against 6.46 (docs/MODEL.md "All of it together, session 7")."""
PACE_PIECES_FACTOR = 3
"""The pace is measured on this many times the calibration pieces: 24 pieces' notes per bar move by
+-0.3 with the seeds (their progressions and keys differ), as much as a pace corrects, and a build at 24
left like Parker 6.6 notes a bar against his 7.0 at 170 bpm."""
CALIBRATION_SEED = 10_000
"""Calibration pieces use seeds from here (the evaluation uses 0..n-1)."""
MAX_LOG_RATIO = 2.0
MIN_LOG_RATIO = 0.002
"""Smaller log-ratios are left out of the file (they count as 0)."""
MIN_BAND_TOKENS = 500
"""A style gets rhythm log-ratios of its own at a tempo band with at least this many tokens there."""
DENSITY_WEIGHT = 0.4
"""How much of the rhythm log-ratio reaches the logits (tuned on training solos, docs/MODEL.md)."""
PACE_SMOOTHING = 400.0
"""A style's notes per beat at a tempo band are smoothed towards its leaning over all its tempi as if
it held this many more beats there (one solo's worth); the leaning itself towards the corpus's."""
PACE_GUESS = 0.8
"""The first guess at how much ``log(notes per bar)`` rises per unit of pace (measured 0.7-1.0 on
Parker at 150-190 bpm, 2026-12-06; 0.36 on Coltrane there in session 8)."""
PACE_STEP = 0.4
"""The trial pace is at least this far from 0, so that the slope it measures stands above the noise
(+-0.1 notes a bar on the same pieces, about 0.015 in ``log``)."""
PACE_ROUNDS = 3
"""Measurements of notes per bar per style and band: at pace 0, at a trial pace, at the estimate."""
MAX_PACE = 1.5
"""The pace stays within +- this (log-odds per halving of a token's length)."""
PACE_UNIT = 12
"""A token this many grid units long (a beat) is neither favoured nor held back by the pace."""
PACE_FLOOR = 6
"""Tokens shorter than an eighth count as eighths for the pace: a denser style plays more eighth
lines, not more sixteenths (the rhythm log-ratios decide those)."""
INTERVAL_WEIGHT = 1.0
"""How much of the interval log-ratio reaches the logits."""
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
    beats: int
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
    beats = solo.bars * solo.beats_per_bar
    return SoloCounts(tempo_band(solo.tempo), classes, intervals, len(solo.notes), beats, median, deviations)


@dataclass(frozen=True, slots=True)
class Target:
    """What the real solos of one style play: token-class shares per tempo band, interval shares,
    the centre offset (the style's median pitch minus the corpus's) and the breath (sd of 8-bar
    window medians around the solo's median)."""

    classes: dict[int, dict[str, float]]
    intervals: dict[int, float]
    offset: float
    breath: float
    notes: int
    notes_per_bar: dict[int, float]  # tempo band -> notes per 4 beats (see :func:`_pace_targets`)


@dataclass(frozen=True, slots=True)
class Prior:
    """One style's table: rhythm log-ratios per tempo band, interval log-ratios, register."""

    bands: dict[int, dict[str, float]]  # tempo band -> token class -> log-ratio (absent: 0)
    intervals: tuple[float, ...]  # interval bucket 0..MAX_INTERVAL -> log-ratio
    offset: float
    breath: float
    notes: int
    pace: dict[int, float] = field(default_factory=dict)  # tempo band -> pace (absent: 0)
    notes_per_bar: dict[int, float] = field(default_factory=dict)  # tempo band -> the real solos'


@dataclass(frozen=True, slots=True)
class Priors:
    styles: dict[str, Prior]  # ALL, eras, soloists
    source: str
    rows: dict[tuple[str, int, tuple[str, ...]], npt.NDArray[np.float64]] = field(
        default_factory=dict, compare=False
    )

    def name(self, era: str | None, soloist: str | None) -> str:
        """The table a style plays: the soloist's, else the era's, else the corpus's."""
        return next((n for n in (soloist, era) if n is not None and n in self.styles), ALL)

    def density_row(
        self, classes: tuple[str, ...], era: str | None, soloist: str | None, band: int
    ) -> npt.NDArray[np.float64]:
        """``DENSITY_WEIGHT`` times the log-ratio of each token's class (``classes``: per token), plus
        the style's pace at the band times :func:`shortness` (shorter tokens: more notes a bar)."""
        key = (self.name(era, soloist), band, classes)
        if key not in self.rows:
            prior = self.styles[key[0]]
            density = prior.bands.get(band, {})
            row = DENSITY_WEIGHT * np.array([density.get(c, 0.0) for c in classes])
            row += prior.pace.get(band, 0.0) * shortness(classes)
            row.flags.writeable = False
            self.rows[key] = row
        return self.rows[key]


@cache
def shortness(classes: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """``log2(PACE_UNIT / length)`` of each token class: +1 for an eighth (and anything shorter:
    :data:`PACE_FLOOR`), -1 for a half note."""
    lengths = np.array([int(c[1:]) for c in classes], dtype=np.float64)
    result = np.log2(PACE_UNIT / np.maximum(lengths, PACE_FLOOR))
    result.flags.writeable = False
    return result


def _shares(counter: Mapping[Any, float]) -> dict[Any, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.items()} if total else {}


def _smoothed(own: Counter[Any], towards: dict[Any, float], weight: float) -> dict[Any, float]:
    """``own``'s shares smoothed towards ``towards`` as if ``weight`` more items were shaped like it."""
    total = sum(own.values())
    keys = set(own) | set(towards)
    return {k: (own.get(k, 0) + weight * towards.get(k, 0.0)) / (total + weight) for k in keys}


def _pace_targets(members: Sequence[SoloCounts], rates: Sequence[float]) -> dict[int, float]:
    """Notes per 4/4 bar a style plays at each tempo band: the corpus's rate there (``rates``: notes
    per beat per band) times the style's leaning, ``log(its notes / the notes the corpus plays in
    the same beats at the same bands)``. The leaning at a band is its own there, smoothed towards
    its leaning over all its tempi by :data:`PACE_SMOOTHING` beats, which is smoothed towards 0 (the
    corpus) the same way. Notes per beat fall with the tempo (14 a bar under 110 bpm, 5 over 240),
    so a soloist recorded mostly fast is not taken for a sparse one at 160 bpm."""
    notes = [0.0] * len(rates)
    beats = [0.0] * len(rates)
    for m in members:
        notes[m.band] += m.notes
        beats[m.band] += m.beats
    expected = sum(b * r for b, r in zip(beats, rates, strict=True))
    overall = (
        sum(beats) / (sum(beats) + PACE_SMOOTHING) * float(np.log(sum(notes) / expected)) if expected else 0.0
    )
    result = {}
    for band, rate in enumerate(rates):
        own = float(np.log(notes[band] / (beats[band] * rate))) if notes[band] else 0.0
        share = beats[band] / (beats[band] + PACE_SMOOTHING)
        result[band] = 4 * rate * float(np.exp(share * own + (1 - share) * overall))
    return result


def _target(
    members: Sequence[SoloCounts],
    bands: dict[int, tuple[Counter[str], Counter[int]]],
    corpus_median: float,
    rates: Sequence[float],
) -> Target:
    """A style's real shares. At each tempo band its own tokens there (if any) are smoothed towards
    the corpus's shares at that band tilted by how the style's tokens over all its tempi differ from
    the corpus's at the same tempi (the corpus's band shares weighted by the style's tokens per band)."""
    classes: Counter[str] = Counter()
    intervals: Counter[int] = Counter()
    weights: Counter[int] = Counter()
    for m in members:
        classes.update(m.classes)
        intervals.update(m.intervals)
        weights[m.band] += sum(m.classes.values())
    reference: dict[str, float] = {}
    corpus_intervals: Counter[int] = Counter()
    for band, weight in weights.items():
        for key, share in _shares(bands[band][0]).items():
            reference[key] = reference.get(key, 0.0) + weight * share
        corpus_intervals.update(bands[band][1])
    leaning = {
        k: v / max(reference.get(k, 0.0), 1e-12)
        for k, v in _smoothed(classes, _shares(reference), SMOOTHING).items()
    }
    per_band = {}
    for band in range(len(BAND_TEMPI)):
        own: Counter[str] = Counter()
        for m in members:
            if m.band == band:
                own.update(m.classes)
        tilted = {k: v * leaning.get(k, 1.0) for k, v in _shares(bands[band][0]).items()}
        total = sum(tilted.values())
        per_band[band] = _smoothed(own, {k: v / total for k, v in tilted.items()}, SMOOTHING)
    deviations = [d for m in members for d in m.deviations]
    return Target(
        per_band,
        _smoothed(intervals, _shares(corpus_intervals), SMOOTHING),
        statistics.median(m.median for m in members) - corpus_median,
        float(np.sqrt(np.mean(np.square(deviations)))) if deviations else 0.0,
        sum(m.notes for m in members),
        _pace_targets(members, rates),
    )


def targets(solos: Sequence[Solo]) -> dict[str, Target]:
    """Every style's :class:`Target` from ``solos``: the corpus (:data:`ALL`), each era, and each
    performer with at least :data:`MIN_NOTES` notes."""
    counted = [(s, count_solo(s)) for s in solos]
    bands: dict[int, tuple[Counter[str], Counter[int]]] = {
        b: (Counter(), Counter()) for b in range(len(BAND_TEMPI))
    }
    for _, c in counted:
        bands[c.band][0].update(c.classes)
        bands[c.band][1].update(c.intervals)
    corpus_median = statistics.median(c.median for _, c in counted)
    rates = [
        sum(c.notes for _, c in counted if c.band == b)
        / max(1, sum(c.beats for _, c in counted if c.band == b))
        for b in range(len(BAND_TEMPI))
    ]
    groups: dict[str, list[SoloCounts]] = {ALL: [c for _, c in counted]}
    for solo, c in sorted(counted, key=lambda sc: sc[0].era):
        groups.setdefault(solo.era, []).append(c)
    performers: dict[str, list[SoloCounts]] = {}
    for solo, c in counted:
        performers.setdefault(solo.performer, []).append(c)
    groups |= {p: m for p, m in sorted(performers.items()) if sum(c.notes for c in m) >= MIN_NOTES}
    return {name: _target(members, bands, corpus_median, rates) for name, members in groups.items()}


def _log_ratio(target: dict[Any, float], generated: Counter[Any]) -> dict[Any, float]:
    """``log(target / generated)`` per key, the generated shares smoothed towards the target by
    :data:`CALIBRATION_SMOOTHING` items (a class the pieces rarely play keeps a small correction)."""
    played = _smoothed(generated, target, CALIBRATION_SMOOTHING)
    return {
        k: float(np.clip(np.log(target[k] / played[k]), -MAX_LOG_RATIO, MAX_LOG_RATIO))
        for k in sorted(target, key=str)
        if target[k] > 0
    }


def _neutral(real: dict[str, Target]) -> Priors:
    """Priors with the register of ``real`` and no rhythm or interval correction."""
    return Priors(
        {
            n: Prior({}, (0.0,) * (MAX_INTERVAL + 1), t.offset, t.breath, t.notes, {}, t.notes_per_bar)
            for n, t in real.items()
        },
        "uncalibrated",
    )


@dataclass(frozen=True, slots=True)
class Played:
    """What calibration pieces played: token classes, interval sizes and notes per 4/4 bar."""

    classes: Counter[str]
    intervals: Counter[int]
    notes_per_bar: float


def _play(composer: Composer, like: str, band: int, pieces: int) -> Played:
    """``pieces`` 16-bar calibration pieces ``like`` a style at the band's tempo (seeds from
    :data:`CALIBRATION_SEED`: never the evaluation's)."""
    from model.compose import ComposeRequest
    from model.evaluation_sets import FLAT_NAMES
    from model.progressions import library

    slugs = sorted(library())
    requests = [
        ComposeRequest(
            16, BAND_TEMPI[band], FLAT_NAMES[i % 12], slugs[i % len(slugs)], 1.0, CALIBRATION_SEED + i, like
        )
        for i in range(pieces)
    ]
    classes: Counter[str] = Counter()
    intervals: Counter[int] = Counter()
    notes = beats = 0
    for piece in composer.compose_many(requests):
        classes.update(token_class(t) for t in piece.extra["tokens"].split() if t != "|")
        line = [n.pitch for n in piece.melody if n.pitch is not None]
        intervals.update(min(abs(b - a), MAX_INTERVAL) for a, b in pairwise(line))
        notes += len(piece.melody)
        beats += piece.bars * piece.beats_per_bar
    return Played(classes, intervals, 4 * notes / max(beats, 1))


def _paces(
    model_dir: Path, styles: dict[str, Prior], real: dict[str, Target], pieces: int, names: Sequence[str]
) -> dict[str, dict[int, float]]:
    """Each style's pace per tempo band, so that its notes per bar there match the real solos'.
    :data:`PACE_ROUNDS` rounds: notes per bar are measured at pace 0 (with the rhythm and interval
    priors), then at a trial pace at least :data:`PACE_STEP` away, then where the line through those
    two meets the target, and the pace is moved once more from the measurement nearest the target
    (:func:`next_pace`). Two measurements alone missed: the pace moves ``log`` notes per bar by 0.3-1.0
    a unit depending on the style, and a small trial step left the slope to the noise (like Coltrane
    6.56 notes a bar at 170 bpm against a target of 6.07, session 8)."""
    from model.compose import Composer

    bands = range(len(BAND_TEMPI))
    goals = {n: {b: float(np.log(real[n].notes_per_bar[b])) for b in bands} for n in names}
    measured: dict[str, dict[int, list[tuple[float, float]]]] = {n: {b: [] for b in bands} for n in names}
    paces = {n: dict.fromkeys(bands, 0.0) for n in names}
    for round_ in range(PACE_ROUNDS):
        composer = Composer.load(model_dir, priors=_with_paces(styles, paces, f"pace round {round_}"))
        for n in names:
            for b in bands:
                played = _play(composer, n, b, pieces).notes_per_bar
                measured[n][b].append((paces[n][b], float(np.log(played))))
        paces = {n: {b: next_pace(measured[n][b], goals[n][b]) for b in bands} for n in names}
    return {n: {b: round(v, 3) for b, v in by_band.items()} for n, by_band in paces.items()}


def next_pace(measured: Sequence[tuple[float, float]], goal: float) -> float:
    """The pace to try next from ``measured`` ``(pace, log notes per bar)`` points and the ``goal``
    (``log`` notes per bar). From one point: a step of :data:`PACE_GUESS` per unit of the gap, at
    least :data:`PACE_STEP`. From more: a step from the point nearest the goal along the
    least-squares slope through all of them (at least ``PACE_GUESS / 4``: the pace always makes
    lines denser), within :data:`MAX_PACE`."""
    pace, level = min(measured, key=lambda m: abs(m[1] - goal))
    if len(measured) == 1:
        step = (goal - level) / PACE_GUESS
        return float(np.clip(pace + np.copysign(max(abs(step), PACE_STEP), step), -MAX_PACE, MAX_PACE))
    xs, ys = np.array([m[0] for m in measured]), np.array([m[1] for m in measured])
    spread = float(np.sum(np.square(xs - xs.mean())))
    slope = float(np.sum((xs - xs.mean()) * (ys - ys.mean())) / spread) if spread > 1e-12 else PACE_GUESS
    return float(np.clip(pace + (goal - level) / max(slope, PACE_GUESS / 4), -MAX_PACE, MAX_PACE))


def _refined(
    model_dir: Path, styles: dict[str, Prior], real: dict[str, Target], pieces: int, names: Sequence[str]
) -> dict[str, Prior]:
    """The rhythm and interval log-ratios once more: what the pieces still miss with the first
    round's priors (``log(p_real / p_played)`` again) is added to them, so at :data:`DENSITY_WEIGHT`
    the token shares come closer to the style's (a single round left "like Parker" a quarter short of
    his eighth notes and long on sixteenths), and the interval shares too (the first round measured
    them without the rhythm prior)."""
    from model.compose import Composer

    composer = Composer.load(model_dir, priors=Priors(styles, "first round"))
    return {**styles, **{n: _round(composer, n, styles[n], real[n], pieces) for n in names}}


def _round(composer: Composer, name: str, prior: Prior, real: Target, pieces: int) -> Prior:
    """``prior`` with what ``pieces`` pieces per band like ``name``, composed by ``composer``, still
    miss of ``real`` added to its rhythm and interval log-ratios (:func:`_summed`; from a neutral
    prior that is the log-ratio itself)."""
    bands = {}
    intervals: Counter[int] = Counter()
    for band in range(len(BAND_TEMPI)):
        played = _play(composer, name, band, pieces)
        intervals.update(played.intervals)
        summed = _summed(prior.bands.get(band, {}), _log_ratio(real.classes[band], played.classes))
        bands[band] = {k: v for k, v in summed.items() if abs(v) >= MIN_LOG_RATIO}
    by_interval = _summed(dict(enumerate(prior.intervals)), _log_ratio(real.intervals, intervals))
    return replace(
        prior, bands=bands, intervals=tuple(by_interval.get(i, 0.0) for i in range(MAX_INTERVAL + 1))
    )


def _summed(before: Mapping[Any, float], more: Mapping[Any, float]) -> dict[Any, float]:
    """Two rounds' log-ratios added, within :data:`MAX_LOG_RATIO`."""
    return {
        k: float(np.clip(before.get(k, 0.0) + more.get(k, 0.0), -MAX_LOG_RATIO, MAX_LOG_RATIO))
        for k in sorted(set(before) | set(more), key=str)
    }


def _with_paces(styles: dict[str, Prior], paces: dict[str, dict[int, float]], source: str) -> Priors:
    return Priors(
        {
            n: Prior(p.bands, p.intervals, p.offset, p.breath, p.notes, paces.get(n, {}), p.notes_per_bar)
            for n, p in styles.items()
        },
        source,
    )


def build(
    solos: Sequence[Solo],
    model_dir: Path = DEFAULT_MODEL_DIR,
    pieces: int = CALIBRATION_PIECES,
    only: Sequence[str] | None = None,
) -> Priors:
    """Calibrated priors: the real shares of ``solos`` (the training solos) against what the model
    in ``model_dir`` plays without a correction, ``pieces`` 16-bar pieces per style and tempo band
    (:func:`_play`), then each style's pace (:func:`_paces`, on :data:`PACE_PIECES_FACTOR` times as
    many pieces). ``only``: these styles (and
    :data:`ALL`) instead of every style the composer can play."""
    from model.compose import Composer

    real = targets(solos)
    neutral = _neutral(real)
    composer = Composer.load(model_dir, priors=neutral)
    names = [n for n in real if n != ALL and (n in ERAS or composer.style(n).soloist == n)]
    if only is not None:
        names = [n for n in names if n in only]
    styles = {ALL: neutral.styles[ALL]}
    styles |= {n: _round(composer, n, neutral.styles[n], real[n], pieces) for n in names}
    styles = _refined(model_dir, styles, real, pieces, names)
    paces = _paces(model_dir, styles, real, PACE_PIECES_FACTOR * pieces, names)
    return _with_paces(
        styles,
        paces,
        f"{len(solos)} WJazzD training solos, {composer.name}, {pieces} pieces per style and band",
    )


def to_json(priors: Priors) -> str:
    def entry(p: Prior) -> dict[str, object]:
        return {
            "notes": p.notes,
            "offset": round(p.offset, 3),
            "breath": round(p.breath, 3),
            "intervals": [round(v, 3) for v in p.intervals],
            "bands": {str(b): _classes(d) for b, d in sorted(p.bands.items())},
            "pace": {str(b): round(v, 3) for b, v in sorted(p.pace.items())},
            "notes_per_bar": {str(b): round(v, 3) for b, v in sorted(p.notes_per_bar.items())},
        }

    data = {
        "source": priors.source,
        "max_interval": MAX_INTERVAL,
        "band_tempi": list(BAND_TEMPI),
        "styles": {name: entry(p) for name, p in priors.styles.items()},
    }
    return json.dumps(data, separators=(",", ":")) + "\n"


def _classes(density: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in sorted(density.items(), key=lambda i: (i[0][0], int(i[0][1:])))}


def from_json(text: str) -> Priors:
    data = json.loads(text)
    if data["max_interval"] != MAX_INTERVAL or data["band_tempi"] != list(BAND_TEMPI):
        raise ValueError(
            "the style priors were built with other settings; run python -m model.style_priors --build"
        )
    styles = {
        name: Prior(
            {int(b): {k: float(v) for k, v in d.items()} for b, d in e["bands"].items()},
            tuple(float(v) for v in e["intervals"]),
            float(e["offset"]),
            float(e["breath"]),
            int(e["notes"]),
            {int(b): float(v) for b, v in e["pace"].items()},
            {int(b): float(v) for b, v in e["notes_per_bar"].items()},
        )
        for name, e in data["styles"].items()
    }
    return Priors(styles, data["source"])


@cache
def load_priors(path: Path = PRIORS_FILE) -> Priors:
    return from_json(path.read_text())


@dataclass(slots=True)
class StylePrior:
    """One line's prior: what :meth:`shift` adds to the network's logits before each draw (the
    composer's own register pull, around :attr:`centre`, comes on top)."""

    density: npt.NDArray[np.float64] | None  # per token: DENSITY_WEIGHT * log-ratio (None: all 0)
    by_move: npt.NDArray[np.float64]  # [move + MAX_MOVE]: INTERVAL_WEIGHT * the interval's log-ratio
    register: Register  # the line's centre and its breathing (model.register)
    span: tuple[int, int]  # the line's lowest and highest pitch
    by_pitch: npt.NDArray[np.float64]  # [pitch], 0..high + 1: shift's per-pitch part without a density

    @classmethod
    def start(
        cls,
        priors: Priors,
        classes: tuple[str, ...],
        pull: float,
        seed: int,
        style: tuple[str | None, str | None],
        tempo: float,
        span: tuple[int, int],
        phrasing: Phrasing,
        centre: float | None = None,
    ) -> StylePrior:
        """The prior of a line in ``style`` (era, soloist) at ``tempo``; ``classes``: each token's
        :func:`token_class`; ``span``: the range's low and high pitch; ``phrasing``: the line's;
        ``centre``: where the line is centred (a lead's, :mod:`model.lead_centres`; kept
        :data:`model.register.MARGIN` inside the range), None: the range's middle moved by the
        style's offset against the corpus."""
        era, soloist = style
        low, high = span
        prior = priors.styles[priors.name(era, soloist)]
        density = priors.density_row(classes, era, soloist, tempo_band(tempo))
        if centre is None:
            centre = centre_of_range(low, high, prior.offset)
        else:
            centre = within_range(low, high, centre)
        register = Register.start(centre, prior.breath, pull, seed, phrasing)
        by_pitch = np.zeros(high + 2)
        return cls(density if density.any() else None, _move_table(prior.intervals), register, span, by_pitch)

    @property
    def centre(self) -> float:
        return self.register.centre

    def shift(
        self, tokens: npt.NDArray[np.int64], pitches: npt.NDArray[np.int64], previous: int | None
    ) -> npt.NDArray[np.float64] | float:
        """What to add to the logits of ``tokens`` sounding ``pitches``: the rhythm prior, and for
        pitched tokens the interval prior and the register's tilt. Rests and ties must have pitches
        :data:`MAX_MOVE` or more from any real pitch (the composer's ``SILENT``): they count as no move."""
        if previous is None:
            return 0.0 if self.density is None else self.density[tokens]
        if self.density is None:
            # only per-pitch terms: summed once per pitch of the range, not once per token (the
            # same sums); pitches outside the range are rests and ties, past its end: 0
            low, high = self.span
            moves = slice(low - previous + MAX_MOVE, high - previous + MAX_MOVE + 1)
            self.by_pitch[low : high + 1] = self.by_move[moves] + self.register.lean() * TILT_STEPS[moves]
            return self.by_pitch.take(pitches, mode="clip")
        at = pitches - (previous - MAX_MOVE)
        return self.density[tokens] + self.by_move.take(at, mode="clip") + self.register.tilt(at)


def _move_table(intervals: Sequence[float]) -> npt.NDArray[np.float64]:
    """Per move (``pitch - previous + MAX_MOVE``, the first and last slot: no move) the interval prior."""
    moves = np.arange(-MAX_MOVE, MAX_MOVE + 1)
    by_move = INTERVAL_WEIGHT * np.array(intervals)[np.minimum(np.abs(moves), MAX_INTERVAL)]
    by_move[[0, -1]] = 0.0
    return by_move


def summary(priors: Priors) -> str:
    header = (
        "| style | notes | centre offset | breath (sd) | log-ratio at 150-190 bpm: n3, n6, n12, n24, r12 "
        "| pace by tempo band | real notes a bar by tempo band |"
    )
    rows = [header, "|---|---:|---:|---:|---|---|---|"]
    for name, p in priors.styles.items():
        band = p.bands.get(2, {})
        shown = ", ".join(f"{band.get(c, 0.0):+.2f}" for c in ("n3", "n6", "n12", "n24", "r12"))
        pace = ", ".join(f"{p.pace.get(b, 0.0):+.2f}" for b in range(len(BAND_TEMPI)))
        real = ", ".join(f"{v:.1f}" for _, v in sorted(p.notes_per_bar.items()))
        rows.append(
            f"| {name} | {p.notes:,} | {p.offset:+.1f} | {p.breath:.2f} | {shown} | {pace} | {real} |"
        )
    return "\n".join([f"Style priors from {priors.source}.", "", *rows])


def main(argv: Sequence[str] | None = None) -> int:
    parser = table_parser("model.style_priors", __doc__, PRIORS_FILE, "priors")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="the model to calibrate for")
    parser.add_argument(
        "--pieces", type=int, default=CALIBRATION_PIECES, help="pieces per style and tempo band"
    )
    args = parser.parse_args(argv)
    return run_table(
        args,
        training_solos,
        lambda solos: to_json(build(solos, args.model, args.pieces)),
        lambda out: summary(load_priors(out)),
    )


if __name__ == "__main__":
    raise SystemExit(main())
