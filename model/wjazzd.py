"""Reader for the Weimar Jazz Database: transcribed solos as melody over chords, in project ticks.

Each solo is a pair of CSV files (MeloSpy "mcsv" export, see ``../shared/README.md``):
``melody/<solo>.csv`` (one row per note, with the transcriber's metrical position) and
``beats/<solo>_beattrack.csv`` (one row per beat, with the chord sounding on it). Tick 0 is the
downbeat of the beat track's first bar (often a pickup bar, WJazzD bar <= 0); a note starts at

    (bar - first bar) * beats_per_bar * 480 + (beat - 1) * 480 + (tatum - 1) / division * 480

quantised to the 1/12-beat grid (:data:`model.grammar.GRID`). Swing lives in the onsets in seconds,
not in these positions, so a swung eighth pair is two straight eighths here, as on a lead sheet.

Chords come from the beat track (one symbol per beat, equal neighbours merged; ``NC`` beats are gaps)
and are mapped from WJazzD's syntax onto the project's closed quality table
(:func:`parse_wjazzd_chord`). Parsed solos are cached (gzipped JSON in
:func:`model.paths.cache_dir`, one file per folder, an entry per pair keyed by the SHA-256 of its
two files and :data:`CACHE_FORMAT`).

Data: "Weimar Jazz Database" (Jazzomat Research Project, HfM Franz Liszt Weimar), Open Database
License 1.0.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.chord_recognition import recognise
from model.errors import InputError
from model.grammar import GRID, quantise
from model.paths import cache_dir, shared_data_dir
from model.piece import TICKS_PER_QUARTER, Chord, Note
from model.soloists import ERAS, performer_era, performer_name, split_camel_case
from model.theory import PITCH_CLASSES, ChordSymbol, TheoryError

__all__ = [
    "ERAS",
    "SkipSolo",
    "Solo",
    "SoloCorpus",
    "SoloSpan",
    "load_solos",
    "parse_wjazzd_chord",
    "read_solo",
    "split",
]

log = logging.getLogger(__name__)

CREDIT = 'Solos from the "Weimar Jazz Database" (Jazzomat Research Project), Open Database License 1.0'
CACHE_FORMAT = 1  # bump when the reader changes what a pair yields
SUPPORTED_METERS = (4, 3)
MELODY_COLUMNS = ("bar", "beat", "tatum", "division", "pitch", "duration", "beat_duration", "signature")
BEAT_COLUMNS = ("bar", "beat", "duration", "signature", "chord")
MIN_SPAN_BARS = 2

# Velocity from loudness: recording levels differ between sessions, so loudness is taken relative to
# the solo's own median (dB): the median note gets VELOCITY_MEDIAN, each dB above or below moves it
# by VELOCITY_PER_DB, clamped to VELOCITY_RANGE. A solo without loudness plays at VELOCITY_MEDIAN.
VELOCITY_MEDIAN = 90
VELOCITY_PER_DB = 2.5
VELOCITY_RANGE = (40, 115)


BeatTick = Callable[[Mapping[str, str]], int]
"""A row's bar and beat -> its tick."""


class SkipSolo(Exception):
    """A file pair that cannot be used; the message is the reason ("no notes", "meter 5/4 ...")."""


# ---- chord syntax ------------------------------------------------------------------------------

_CHORD_RE = re.compile(r"(?P<root>[A-G][#b]?)(?P<body>[^/]*)(?:/(?P<bass>[A-G][#b]?))?")
_BODY_RE = re.compile(
    r"(?P<kind>m7b5|-|\+|o|sus)?(?P<seventh>j7|7|6)?(?P<tensions>(?:(?:9|11|13)[b#]?)*)(?P<alt>alt)?"
)
_TENSION_RE = re.compile(r"(?:9|11|13)[b#]?")


def parse_wjazzd_chord(text: str) -> ChordSymbol | None:
    """A WJazzD chord symbol as the nearest project :class:`ChordSymbol`; None for ``NC``.

    Syntax: root, then ``-`` minor, ``+`` augmented, ``o`` diminished, ``sus``, ``m7b5``; then
    ``j7`` (major seventh), ``7`` or ``6``; then tensions ``9``/``11``/``13`` with ``b``/``#`` after
    them; ``alt``; ``/bass``. Raises :class:`TheoryError` for anything else.
    """
    if text.strip() == "NC":
        return None
    match = _CHORD_RE.fullmatch(text.strip())
    body = _BODY_RE.fullmatch(match.group("body")) if match else None
    if match is None or body is None:
        raise TheoryError(f"'{text}' is not a WJazzD chord symbol (e.g. C-7, F79b, Bbj7911#, NC).")
    tensions = frozenset(_TENSION_RE.findall(body.group("tensions")))
    quality = _quality(
        body.group("kind") or "", body.group("seventh") or "", tensions, bool(body.group("alt"))
    )
    if quality is None:
        raise TheoryError(f"'{text}': WJazzD chord quality '{match.group('body')}' is not understood.")
    root = _pitch_class(match.group("root"))
    bass = _pitch_class(match.group("bass")) if match.group("bass") else None
    return ChordSymbol(root, quality, None if bass == root else bass)


def _pitch_class(name: str) -> int:
    return (PITCH_CLASSES[name[0]] + name[1:].count("#") - name[1:].count("b")) % 12


def _quality(kind: str, seventh: str, tensions: frozenset[str], alt: bool) -> str | None:
    """The project quality nearest to a parsed WJazzD quality (the mapping table in docs/MODEL.md)."""
    if kind == "m7b5":
        return None if seventh or alt else "m7b5"
    if alt:
        return "7alt" if kind in ("", "+") and seventh in ("", "7") and not tensions else None
    if kind == "o":
        return {"": "dim", "7": "dim7"}.get(seventh) if not tensions else None
    if kind == "sus":
        return {"": "sus4" if not tensions else None, "7": "7sus4"}.get(seventh)
    if kind == "+":
        if seventh == "7":
            return "7alt" if tensions & {"9b", "9#"} else "7#5"
        return "aug" if seventh in ("", "j7") else None  # +j7: no maj7#5 quality; the #5 is the colour
    if kind == "-":
        if seventh == "7":
            return "m9" if tensions & {"9", "11"} else "m7"
        return {"": "m", "6": "m6", "j7": "mmaj7"}.get(seventh)
    if seventh == "j7":
        return "maj7#11" if "11#" in tensions else "maj9" if "9" in tensions else "maj7"
    if seventh == "7":
        return _dominant(tensions)
    return {"": "", "6": "6"}.get(seventh)  # 69 and 6911# keep the sixth chord's tones


def _dominant(tensions: frozenset[str]) -> str:
    if {"9b", "13b"} <= tensions:
        return "7alt"
    for tension, quality in (("9#", "7#9"), ("9b", "7b9"), ("11#", "7#11"), ("13b", "7b13")):
        if tension in tensions:
            return quality
    if "11" in tensions:
        return "7sus4"
    return "13" if "13" in tensions else "9" if "9" in tensions else "7"


# ---- solos -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SoloSpan:
    """Consecutive bars of a solo with a chord on every beat, times in ticks from its first bar.

    ``melody``/``chords``/``bars`` match :class:`model.corpus.Span`; ``bars`` are bars of
    ``beats_per_bar`` beats (3/4 solos give 3-beat bars). ``first_bar`` is the bar index in the solo.
    """

    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int
    first_bar: int
    beats_per_bar: int


@dataclass(frozen=True, slots=True)
class Solo:
    """One transcribed solo: notes over the chords of its beat track, ticks from the first bar."""

    name: str
    performer_id: str
    performer: str
    title: str
    era: str
    tempo: float
    beats_per_bar: int
    bars: int
    notes: tuple[Note, ...]
    chords: tuple[Chord, ...]
    phrase_starts: tuple[int, ...]
    chorus_starts: tuple[int, ...]
    form: tuple[tuple[int, str], ...]
    unknown_chords: tuple[str, ...]
    spellings: tuple[str, ...] = ()
    """Every distinct chord spelling in the pair's two files (NC excluded), sorted."""

    @property
    def bar_ticks(self) -> int:
        return self.beats_per_bar * TICKS_PER_QUARTER

    def spans(self, min_bars: int = MIN_SPAN_BARS) -> list[SoloSpan]:
        """Runs of at least ``min_bars`` bars whose every beat lies under a chord (no NC gap).

        Notes are those starting in the run, cut at its end; chords are clipped to it. Bars without
        notes are kept (a soloist's rest is part of the solo).
        """
        covered = [False] * (self.bars * self.beats_per_bar)
        for chord in self.chords:
            for beat in range(chord.start // TICKS_PER_QUARTER, chord.end // TICKS_PER_QUARTER):
                if 0 <= beat < len(covered):
                    covered[beat] = True
        full = [all(covered[b * self.beats_per_bar : (b + 1) * self.beats_per_bar]) for b in range(self.bars)]
        spans: list[SoloSpan] = []
        run_start = None
        for bar, ok in enumerate([*full, False]):
            if ok and run_start is None:
                run_start = bar
            elif not ok and run_start is not None:
                if bar - run_start >= min_bars:
                    spans.append(self._span(run_start, bar - run_start))
                run_start = None
        return spans

    def _span(self, first_bar: int, bars: int) -> SoloSpan:
        start, end = first_bar * self.bar_ticks, (first_bar + bars) * self.bar_ticks
        notes = tuple(
            Note(n.pitch, n.start - start, min(n.end, end) - n.start, n.velocity)
            for n in self.notes
            if start <= n.start < end
        )
        chords = tuple(
            Chord(c.symbol, max(c.start, start) - start, min(c.end, end) - max(c.start, start), c.name)
            for c in self.chords
            if c.start < end and c.end > start
        )
        return SoloSpan(notes, chords, bars, first_bar, self.beats_per_bar)


def solo_name(melody_csv: Path) -> str:
    """``ArtPepper_Anthropology_FINAL.csv`` -> ``ArtPepper_Anthropology``."""
    return re.sub(r"_FINAL$", "", melody_csv.stem)


def title_of(name: str) -> str:
    """Display title from a solo name: take numbers dropped, ``=`` read as a hyphen, words split,
    a suffix after ``_`` in parentheses (``I'll Remember April (Alternate Take 2)``)."""
    raw = name.split("_", 1)[1] if "_" in name else name
    main, *extra = re.sub(r"-\d+$", "", raw).split("_")
    title = split_camel_case(main.replace("=", "-")).replace("In' N Out", "In 'N Out")
    return title + "".join(f" ({split_camel_case(part)})" for part in extra)


def read_solo(melody_csv: Path, beats_csv: Path) -> Solo:
    """Parse one pair; :class:`SkipSolo` with the reason when it cannot be used."""
    melody = _rows(melody_csv, MELODY_COLUMNS, "melody")
    if not melody:
        raise SkipSolo("no notes")
    beats = _rows(beats_csv, BEAT_COLUMNS, "beat track")
    if not beats:
        raise SkipSolo("empty beat track")
    try:
        return _build(solo_name(melody_csv), melody, beats)
    except (ValueError, KeyError, ZeroDivisionError) as error:
        raise SkipSolo(f"unreadable value ({type(error).__name__}: {error})") from error


def _rows(path: Path, required: Sequence[str], what: str) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise SkipSolo(f"{what} lacks columns {', '.join(missing)}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SkipSolo(f"cannot read {path.name} ({error})") from error


def _meter(rows: Iterable[Mapping[str, str]]) -> set[str]:
    return {row["signature"].strip("\"' ") for row in rows}


def _build(name: str, melody: list[dict[str, str]], beats: list[dict[str, str]]) -> Solo:
    meters = _meter(melody) | _meter(beats)
    if len(meters) > 1:
        raise SkipSolo(f"mixed meters {', '.join(sorted(meters))} are not supported")
    meter = meters.pop()
    numerator = int(meter.split("/")[0]) if re.fullmatch(r"\d+/4", meter) else 0
    if numerator not in SUPPORTED_METERS:
        raise SkipSolo(f"meter {meter} is not supported (only 4/4 and 3/4)")
    bar_ticks = numerator * TICKS_PER_QUARTER
    first_bar = min(int(row["bar"]) for row in beats)

    def beat_tick(row: Mapping[str, str]) -> int:
        return (int(row["bar"]) - first_bar) * bar_ticks + (int(row["beat"]) - 1) * TICKS_PER_QUARTER

    notes, phrase_starts = _notes(melody, beat_tick)
    if not notes:
        raise SkipSolo("no notes inside the beat track")
    last_beat = max(beat_tick(row) for row in beats)
    bars = max(last_beat, notes[-1].start) // bar_ticks + 1
    end = bars * bar_ticks
    last = notes[-1]
    notes[-1] = Note(last.pitch, last.start, min(last.duration, end - last.start), last.velocity)  # >= GRID
    chords, unknown = _chords(beats, beat_tick, notes)
    durations = [float(row["duration"]) for row in beats if float(row["duration"]) > 0]
    if not durations:
        raise SkipSolo("the beat track has no beat durations (no tempo)")
    performer_id = name.split("_", 1)[0]
    spellings = {
        r["chord"].strip() for r in [*melody, *beats] if r.get("chord", "").strip() not in ("", "NC")
    }
    return Solo(
        name=name,
        performer_id=performer_id,
        performer=performer_name(performer_id),
        title=title_of(name),
        era=performer_era(performer_id),
        tempo=round(statistics.median(60.0 / d for d in durations), 2),
        beats_per_bar=numerator,
        bars=bars,
        notes=tuple(notes),
        chords=chords,
        phrase_starts=tuple(phrase_starts),
        chorus_starts=_chorus_starts(beats, beat_tick),
        form=_form(beats, beat_tick),
        unknown_chords=unknown,
        spellings=tuple(sorted(spellings)),
    )


def _notes(melody: list[dict[str, str]], beat_tick: BeatTick) -> tuple[list[Note], list[int]]:
    """Monophonic notes (highest pitch on shared onsets), cut at the next onset, and the indices of
    the notes that begin a phrase."""
    louds = [float(r["loud_median"]) for r in melody if _finite(r.get("loud_median"))]
    median_loud = statistics.median(louds) if louds else 0.0
    by_onset: dict[int, tuple[int, int, int, bool]] = {}  # start -> (pitch, duration, velocity, phrase)
    for row in melody:
        division = int(row["division"])
        offset = ((int(row["tatum"]) - 1) * TICKS_PER_QUARTER * 2 + division) // (2 * division)
        start = quantise(beat_tick(row) + offset)
        if start < 0:
            continue  # before the beat track: no chord, no bar to put it in
        length = float(row["duration"]) / float(row["beat_duration"]) * TICKS_PER_QUARTER
        duration = max(GRID, quantise(round(length)))
        loud = row.get("loud_median") or ""
        velocity = _velocity(float(loud) - median_loud) if _finite(loud) else VELOCITY_MEDIAN
        phrase = row.get("phrase_begin", "").strip() == "1"
        pitch = int(float(row["pitch"]))
        kept = by_onset.get(start)
        if kept is None or pitch > kept[0]:
            by_onset[start] = (pitch, duration, velocity, phrase or (kept is not None and kept[3]))
        elif phrase:
            by_onset[start] = (*kept[:3], True)
    onsets = sorted(by_onset)
    notes: list[Note] = []
    phrase_starts: list[int] = []
    for i, start in enumerate(onsets):
        pitch, duration, velocity, phrase = by_onset[start]
        if i + 1 < len(onsets):
            duration = min(duration, onsets[i + 1] - start)
        if phrase:
            phrase_starts.append(i)
        notes.append(Note(pitch, start, duration, velocity))
    return notes, phrase_starts


def _finite(text: str | None) -> bool:
    try:
        return text is not None and math.isfinite(float(text))
    except ValueError:
        return False


def _velocity(db_above_median: float) -> int:
    low, high = VELOCITY_RANGE
    return max(low, min(high, round(VELOCITY_MEDIAN + VELOCITY_PER_DB * db_above_median)))


def _chords(
    beats: list[dict[str, str]], beat_tick: BeatTick, notes: Sequence[Note]
) -> tuple[tuple[Chord, ...], tuple[str, ...]]:
    """Chords per beat, equal neighbours merged; NC beats are gaps. A spelling the syntax does not
    cover is recognised from the notes (and bass estimates) over its beats, else left as a gap; both
    are reported in the second value."""
    runs: list[tuple[int, int, str]] = []  # (start, end, spelling) of consecutive equal spellings
    for row in beats:
        tick, spelling = beat_tick(row), row["chord"].strip()
        if runs and runs[-1][2] == spelling and runs[-1][1] == tick:
            runs[-1] = (runs[-1][0], tick + TICKS_PER_QUARTER, spelling)
        else:
            runs.append((tick, tick + TICKS_PER_QUARTER, spelling))
    unknown: set[str] = set()
    timed: list[tuple[int, int, ChordSymbol]] = []
    for start, end, spelling in runs:
        try:
            symbol = parse_wjazzd_chord(spelling)
        except TheoryError:
            unknown.add(spelling)
            symbol = _recognise_from_notes(beats, beat_tick, notes, start, end)
        if symbol is None:
            continue
        if timed and timed[-1][2] == symbol and timed[-1][1] == start:
            timed[-1] = (timed[-1][0], end, symbol)
        else:
            timed.append((start, end, symbol))
    chords = tuple(Chord(symbol, start, end - start, symbol.name()) for start, end, symbol in timed)
    return chords, tuple(sorted(unknown))


def _recognise_from_notes(
    beats: list[dict[str, str]], beat_tick: BeatTick, notes: Sequence[Note], start: int, end: int
) -> ChordSymbol | None:
    weights: dict[int, float] = defaultdict(float)
    for note in notes:
        overlap = min(note.end, end) - max(note.start, start)
        if overlap > 0 and note.pitch is not None:
            weights[note.pitch % 12] += overlap
    basses = Counter(
        int(float(row["bass"])) % 12
        for row in beats
        if start <= beat_tick(row) < end and _finite(row.get("bass"))
    )
    return recognise(weights, basses.most_common(1)[0][0] if basses else None)


def _chorus_starts(beats: list[dict[str, str]], beat_tick: BeatTick) -> tuple[int, ...]:
    starts: list[int] = []
    previous = None
    for row in beats:
        chorus = row.get("chorus_id", "").strip()
        if chorus != previous and chorus.lstrip("-").isdigit() and int(chorus) >= 1:
            starts.append(beat_tick(row))
        previous = chorus
    return tuple(starts)


def _form(beats: list[dict[str, str]], beat_tick: BeatTick) -> tuple[tuple[int, str], ...]:
    form: list[tuple[int, str]] = []
    for row in beats:
        label = row.get("form", "").strip()
        if label and (not form or form[-1][1] != label):
            form.append((beat_tick(row), label))
    return tuple(form)


# ---- the corpus and its cache -------------------------------------------------------------------


@dataclass(slots=True)
class SoloCorpus:
    solos: list[Solo]
    skipped: dict[str, str] = field(default_factory=dict)
    """Melody file name -> why the pair was skipped."""


def default_folder() -> Path:
    return shared_data_dir() / "wjazzd"


def load_solos(folder: Path | None = None) -> SoloCorpus:
    """Every pair in ``folder`` (default ``../shared/data/wjazzd``), parsed or read from the cache.

    Unusable pairs are logged at WARNING and listed in ``skipped``; a folder without a ``melody``
    subfolder raises :class:`InputError`.
    """
    folder = default_folder() if folder is None else folder
    melody_dir = folder / "melody"
    if not melody_dir.is_dir():
        raise InputError(f"{folder} is not a WJazzD folder (it needs melody/ and beats/ with CSV files).")
    folder_id = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    cache_file = cache_dir() / f"wjazzd-v{CACHE_FORMAT}-{folder_id}.json.gz"
    cache = _read_cache(cache_file)
    fresh: dict[str, Any] = {}
    corpus = SoloCorpus([])
    for melody_csv in sorted(melody_dir.glob("*.csv")):
        beats_csv = folder / "beats" / f"{melody_csv.stem}_beattrack.csv"
        key = _pair_key(melody_csv, beats_csv)
        try:
            entry = cache[key]
            result = _from_entry(entry)
        except (KeyError, TypeError, ValueError):  # not cached, or a damaged entry
            entry = _parse_entry(melody_csv, beats_csv)
            result = _from_entry(entry)
            cache.pop(key, None)
        fresh[key] = entry
        if isinstance(result, str):
            log.warning("skipping WJazzD solo %s: %s", melody_csv.name, result)
            corpus.skipped[melody_csv.name] = result
        else:
            corpus.solos.append(result)
    if fresh.keys() != cache.keys():
        _write_cache(cache_file, fresh)
    return corpus


def _from_entry(entry: dict[str, Any]) -> Solo | str:
    """A cache entry as its solo, or as the reason the pair was skipped."""
    return str(entry["skipped"]) if "skipped" in entry else _solo_from_json(entry)


def _pair_key(melody_csv: Path, beats_csv: Path) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{melody_csv.name}\0".encode())
    for path in (melody_csv, beats_csv):
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def _parse_entry(melody_csv: Path, beats_csv: Path) -> dict[str, Any]:
    if not beats_csv.is_file():
        return {"skipped": f"no beat track beats/{beats_csv.name}"}
    try:
        return _solo_to_json(read_solo(melody_csv, beats_csv))
    except SkipSolo as error:
        return {"skipped": str(error)}


def _read_cache(cache_file: Path) -> dict[str, Any]:
    try:
        with gzip.open(cache_file, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
        if payload["format"] != CACHE_FORMAT or not isinstance(payload["solos"], dict):
            return {}
        solos: dict[str, Any] = payload["solos"]
        return solos
    except FileNotFoundError:
        return {}
    except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
        log.info("ignoring unreadable WJazzD cache %s (%s); parsing again", cache_file, error)
        return {}


def _write_cache(cache_file: Path, entries: dict[str, Any]) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(".tmp")
        with gzip.open(temporary, "wt", encoding="utf-8", compresslevel=5) as handle:
            json.dump({"format": CACHE_FORMAT, "solos": entries}, handle, separators=(",", ":"))
        temporary.replace(cache_file)
    except OSError as error:
        log.warning("could not write the WJazzD cache %s (%s); the next run parses again", cache_file, error)


def _solo_to_json(solo: Solo) -> dict[str, Any]:
    return {
        "name": solo.name,
        "performer_id": solo.performer_id,
        "performer": solo.performer,
        "title": solo.title,
        "era": solo.era,
        "tempo": solo.tempo,
        "beats_per_bar": solo.beats_per_bar,
        "bars": solo.bars,
        "notes": [[n.pitch, n.start, n.duration, n.velocity] for n in solo.notes],
        "chords": [
            [c.symbol.root, c.symbol.quality, c.symbol.bass, c.start, c.duration, c.name] for c in solo.chords
        ],
        "phrase_starts": list(solo.phrase_starts),
        "chorus_starts": list(solo.chorus_starts),
        "form": [list(f) for f in solo.form],
        "unknown_chords": list(solo.unknown_chords),
        "spellings": list(solo.spellings),
    }


def _solo_from_json(data: dict[str, Any]) -> Solo:
    return Solo(
        name=data["name"],
        performer_id=data["performer_id"],
        performer=data["performer"],
        title=data["title"],
        era=data["era"],
        tempo=data["tempo"],
        beats_per_bar=data["beats_per_bar"],
        bars=data["bars"],
        notes=tuple(Note(p, s, d, v) for p, s, d, v in data["notes"]),
        chords=tuple(Chord(ChordSymbol(r, q, b), s, d, n) for r, q, b, s, d, n in data["chords"]),
        phrase_starts=tuple(data["phrase_starts"]),
        chorus_starts=tuple(data["chorus_starts"]),
        form=tuple((t, label) for t, label in data["form"]),
        unknown_chords=tuple(data["unknown_chords"]),
        spellings=tuple(data["spellings"]),
    )


# ---- train / validation split -------------------------------------------------------------------


def split(names: Iterable[str], valid_share: float = 0.1) -> tuple[list[str], list[str]]:
    """(train, validation) solo names, each sorted. A solo is held out when the first 8 bytes of the
    SHA-256 of its name, read as a fraction of 2**64, fall below ``valid_share``: the decision
    depends on the name alone, so it never changes when solos are added, removed or reordered."""
    train: list[str] = []
    valid: list[str] = []
    for name in sorted(set(names)):
        fraction = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") / 2**64
        (valid if fraction < valid_share else train).append(name)
    return train, valid


# ---- summary ------------------------------------------------------------------------------------


def summary(corpus: SoloCorpus) -> str:
    """Counts per era, chord spellings, the split and the skipped pairs, as a plain-text table."""
    solos = corpus.solos
    lines = [
        f"Weimar Jazz Database: {len(solos)} solos by {len({s.performer_id for s in solos})} soloists, "
        f"{sum(s.bars for s in solos):,} bars, {sum(len(s.notes) for s in solos):,} notes "
        f"({len(corpus.skipped)} of {len(solos) + len(corpus.skipped)} pairs skipped)",
        f"  {'era':12} {'soloists':>8} {'solos':>6} {'bars':>7} {'notes':>8} {'in spans':>8}",
    ]
    for era in ERAS:
        group = [s for s in solos if s.era == era]
        lines.append(
            f"  {era:12} {len({s.performer_id for s in group}):>8} {len(group):>6} "
            f"{sum(s.bars for s in group):>7,} {sum(len(s.notes) for s in group):>8,} "
            f"{sum(span.bars for s in group for span in s.spans()):>8,}"
        )
    spellings = {spelling for s in solos for spelling in s.spellings}
    unknown = {spelling for s in solos for spelling in s.unknown_chords}
    lines.append(
        f"  chord spellings: {len(spellings)} distinct, {len(spellings - unknown)} mapped onto project "
        f"qualities, {len(unknown)} recognised from notes or left as gaps{': ' if unknown else ''}"
        + ", ".join(sorted(unknown))
    )
    meters = Counter(f"{s.beats_per_bar}/4" for s in solos)
    lines.append("  meters: " + ", ".join(f"{meter} {count}" for meter, count in sorted(meters.items())))
    train, valid = split(s.name for s in solos)
    lines.append(f"  split by solo (SHA-256 of the name): {len(train)} train, {len(valid)} validation")
    if corpus.skipped:
        lines.append("  skipped:")
        lines.extend(f"    {name:44} {reason}" for name, reason in sorted(corpus.skipped.items()))
    lines.append(f"  {CREDIT}")
    return "\n".join(lines)
