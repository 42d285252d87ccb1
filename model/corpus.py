"""The training corpus: melodies over chords read with music21 from MIDI and MusicXML files.

Two kinds of file are understood:

* lead sheets (MusicXML with ``<harmony>`` chord symbols): the part carrying the symbols is the
  melody; every full 4/4 measure with a chord in effect is used (pickups and odd meters end a span);
* performances (MIDI, or MusicXML without chord symbols): parts are given roles by their General
  MIDI instrument (or their name): guitars, horns, reeds and leads are melody candidates, keyboards,
  organs, strings, pads and bass are the accompaniment. Chords are recognised per half bar from the
  accompaniment (:mod:`model.chord_recognition`); every run of bars where a melody part plays single
  notes over recognisable chords becomes a song.

Parsing is slow (11 s for the Metheny file), so each file's result is cached as JSON keyed by the
file's SHA-256; re-training on the same files reads only the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from model import wjazzd
from model.chord_recognition import recognise
from model.errors import InputError
from model.extras import require_training_libraries
from model.grammar import encode_song, is_note
from model.paths import cache_dir, shared_data_dir
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note
from model.theory import ChordSymbol, Key

log = logging.getLogger(__name__)

MUSIC_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NOTES = 100_000
MIN_SONG_BARS = 2
CACHE_FORMAT = 1  # bump when the reader or the grammar changes what a file yields

# General MIDI program families (0-based programs).
_MELODY_PROGRAMS = (range(8, 16), range(24, 32), range(40, 42), range(56, 62), range(64, 88))
_DRUM_CHANNEL = 9
_MELODY_NAMES = re.compile(
    r"guitar|trumpet|horn|sax|flute|clarinet|trombone|lead|melody|voice|vocal|vib", re.I
)
_ACCOMPANIMENT_NAMES = re.compile(r"piano|organ|string|pad|bass|keys|rhodes|comp|chord|synth|brass", re.I)
_CHORDAL_BAR_SHARE = 1 / 3  # a melody part playing more chords than this in a bar is comping there


@dataclass(frozen=True, slots=True)
class Song:
    """One stretch of melody over chords, times in ticks from its first bar."""

    name: str
    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileReport:
    """What one file gave: its songs, or why it gave none; ``cached`` when read from the cache."""

    name: str
    sha256: str
    songs: tuple[Song, ...]
    skipped: str | None
    cached: bool


@dataclass(slots=True)
class Corpus:
    songs: list[Song]
    hashes: dict[str, str]
    reports: list[FileReport] = field(default_factory=list)

    @property
    def sequences(self) -> list[list[str]]:
        return [list(song.tokens) for song in self.songs]

    @property
    def skipped(self) -> dict[str, str]:
        """File name -> the reason it gave no song."""
        return {r.name: r.skipped for r in self.reports if r.skipped is not None}


def default_paths() -> list[Path]:
    """The shared Metheny MIDI and the shared standards folder."""
    data = shared_data_dir()
    return [data / "deepjazz" / "original_metheny.mid", data / "standards"]


def load_corpus(paths: Sequence[Path] | None = None) -> Corpus:
    """Read every music file in ``paths`` (files or folders; default :func:`default_paths`).

    Files without a usable melody over chords are skipped with a logged reason; a corrupt, empty
    or oversized file, or a set of paths with no usable song at all, raises :class:`InputError`.
    """
    files = music_files(default_paths() if paths is None else paths)
    reports = [read_file(path) for path in files]
    for report in reports:
        if report.skipped is not None:
            log.warning("skipping %s: %s", report.name, report.skipped)
    songs = _distinct([song for report in reports for song in report.songs])
    if not songs:
        reasons = "; ".join(f"{r.name}: {r.skipped}" for r in reports)
        raise InputError(f"no usable melody with chords in {len(files)} file(s) ({reasons}).")
    return Corpus(songs, {r.name: r.sha256 for r in reports}, reports)


def _distinct(songs: Sequence[Song]) -> list[Song]:
    """Songs in order, dropping exact token duplicates (parts doubling a line in unison)."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for song in songs:
        if song.tokens not in seen:
            seen.add(song.tokens)
            kept.append(song)
    return kept


def music_files(paths: Iterable[Path]) -> list[Path]:
    """The music files named by ``paths``, folders expanded (sorted, not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES and p.is_file())
            if not found:
                raise InputError(f"{path} holds no music files (looked for {', '.join(MUSIC_SUFFIXES)}).")
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in MUSIC_SUFFIXES:
                raise InputError(f"{path} is not a MIDI or MusicXML file ({', '.join(MUSIC_SUFFIXES)}).")
            files.append(path)
        else:
            raise InputError(f"{path} does not exist.")
    return files


def read_file(path: Path) -> FileReport:
    """One file's songs, from the cache when this exact content was read before."""
    data = _checked_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    cache_file = cache_dir() / f"corpus-{_cache_key(digest)}.json"
    cached = _read_cache(cache_file, path.name)
    if cached is not None:
        return FileReport(path.name, digest, cached[0], cached[1], cached=True)
    songs, skipped = _parse(path)
    _write_cache(cache_file, songs, skipped)
    return FileReport(path.name, digest, songs, skipped, cached=False)


def _cache_key(digest: str) -> str:
    return hashlib.sha256(f"{CACHE_FORMAT}:{digest}".encode()).hexdigest()[:32]


def _checked_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        data = path.read_bytes() if 0 < size <= MAX_FILE_BYTES else b""
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from error
    if size == 0:
        raise InputError(f"{path.name} is empty; export it again from your notation program or DAW.")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path.name} is {size / 1e6:.1f} MB; jazzbot reads files up to {MAX_FILE_BYTES // 2**20} MB "
            "(a lead sheet or a solo is far smaller; split the file)."
        )
    return data


# ---- parsing with music21 -------------------------------------------------------------------


def _parse(path: Path) -> tuple[tuple[Song, ...], str | None]:
    """(songs, None) or ((), reason it has none). Raises InputError for unreadable files."""
    _, parts = _load_score(path)
    import music21  # installed: _load_score checked

    if not parts:
        return (), "no parts with notes"
    note_count = sum(len(part.recurse().notes) for part in parts)
    if note_count > MAX_NOTES:
        raise InputError(f"{path.name} has {note_count} notes; jazzbot reads files with up to {MAX_NOTES}.")
    if note_count == 0:
        return (), "no notes"
    if any(part.recurse().getElementsByClass(music21.harmony.ChordSymbol) for part in parts):
        return _lead_sheet_songs(path.name, _lead_sheet_spans(parts))
    return _performance_songs(path.name, parts)


@dataclass(frozen=True, slots=True)
class Span:
    """Consecutive usable bars of a file: melody and chords in ticks from the span's first bar."""

    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int


@dataclass(frozen=True, slots=True)
class LeadSheet:
    """A lead sheet's runs of full 4/4 measures under chord symbols, with its title and key."""

    title: str
    key: Key
    spans: tuple[Span, ...]


def _load_score(path: Path) -> tuple[Any, list[Any]]:
    """The parsed music21 stream and its parts; InputError when music21 is missing or cannot read the
    file."""
    require_training_libraries("music21")
    import music21

    try:
        score = music21.converter.parse(str(path), forceSource=True)
    except Exception as error:  # music21 raises many unrelated types for a broken file
        raise InputError(
            f"{path.name} could not be read as MIDI or MusicXML ({type(error).__name__}: {error}); "
            "is it corrupt or truncated?"
        ) from error
    if isinstance(score, music21.stream.Score):
        return score, list(score.parts)
    return score, [score] if isinstance(score, music21.stream.Part) else []


def read_lead_sheet(path: Path) -> LeadSheet:
    """Title, key and chord/melody runs of a MusicXML lead sheet (used by the progression library)."""
    score, parts = _load_score(path)
    title = _title(path, score.metadata.title if score.metadata else None)
    spans = _lead_sheet_spans(parts)
    return LeadSheet(title, _key_of(parts[0], spans), spans)


def _title(path: Path, written: str | None) -> str:
    """The written title when it names this file (some files carry a stale one), else the file name."""
    stem = path.stem.replace("_", " ").strip()
    first_word = re.sub(r"[^a-z0-9]", "", stem.split(" ")[0].lower())
    if written and first_word and first_word in re.sub(r"[^a-z0-9]", "", written.lower()):
        return written.strip()
    return stem


def _lead_sheet_spans(parts: list[Any]) -> tuple[Span, ...]:
    """Runs of full 4/4 measures with a chord in effect by mid-bar (pickups and odd meters end a run)."""
    import music21

    part = next(p for p in parts if p.recurse().getElementsByClass(music21.harmony.ChordSymbol))
    measures = list(part.getElementsByClass(music21.stream.Measure))
    symbols: list[tuple[int, ChordSymbol]] = []
    for measure in measures:
        for harmony in measure.recurse().getElementsByClass(music21.harmony.ChordSymbol):
            symbol = symbol_from_harmony(harmony)
            if symbol is not None:
                symbols.append((_ticks(measure.offset + harmony.offset), symbol))
    melody = _part_notes(part.stripTies(), include_chords=False)
    spans = []
    run: list[int] = []  # start ticks of consecutive usable measures
    for measure in [*measures, None]:
        start = -1 if measure is None else _ticks(measure.offset)
        usable = (
            measure is not None
            and _ticks(measure.duration.quarterLength) == TICKS_PER_BAR
            and _is_four_four(measure)
            and bool(symbols)
            and symbols[0][0] <= start + TICKS_PER_BAR // 2
        )
        if usable and (not run or run[-1] + TICKS_PER_BAR == start):
            run.append(start)
            continue
        if len(run) >= MIN_SONG_BARS:
            spans.append(_cut(melody, symbols, run[0], len(run)))
        run = [start] if usable else []
    return tuple(spans)


def _is_four_four(measure: Any) -> bool:
    signature = measure.timeSignature or measure.getContextByClass("TimeSignature")
    return signature is None or signature.ratioString == "4/4"


def _cut(melody: Sequence[Note], symbols: Sequence[tuple[int, ChordSymbol]], start: int, bars: int) -> Span:
    """Melody and chords of ``bars`` bars from ``start``, rebased to 0 and clipped to the span."""
    end = start + bars * TICKS_PER_BAR
    notes = tuple(
        Note(n.pitch, n.start - start, min(n.end, end) - n.start, n.velocity)
        for n in melody
        if start <= n.start < end
    )
    return Span(notes, chords_from_symbols(symbols, start, end), bars)


def chords_from_symbols(
    symbols: Sequence[tuple[int, ChordSymbol]], start: int, end: int
) -> tuple[Chord, ...]:
    """Timed chords for [start, end) from (onset tick, symbol) pairs: the one in effect at ``start``
    begins at 0, each lasts until the next, repeats of the same symbol are merged."""
    in_effect = [(max(t, start), s) for t, s in symbols if t < end]
    in_effect = [
        (t, s) for i, (t, s) in enumerate(in_effect) if i + 1 == len(in_effect) or in_effect[i + 1][0] > start
    ]
    merged: list[tuple[int, ChordSymbol]] = []
    for tick, symbol in in_effect:
        if merged and merged[-1][0] == tick:
            merged[-1] = (tick, symbol)
        elif not merged or merged[-1][1] != symbol:
            merged.append((tick, symbol))
    chords = []
    for i, (tick, symbol) in enumerate(merged):
        stop = merged[i + 1][0] if i + 1 < len(merged) else end
        chords.append(Chord(symbol, tick - start, stop - tick, symbol.name()))
    return tuple(chords)


def _key_of(part: Any, spans: Sequence[Span]) -> Key:
    """The key signature's major key, or its relative minor when the tune ends or starts on that
    minor chord (Blue Bossa's three flats with Cm at both ends is C minor)."""
    import music21

    signatures = list(part.recurse().getElementsByClass(music21.key.KeySignature))
    tonic = signatures[0].asKey("major").tonic.pitchClass if signatures else 0
    chords = [chord.symbol for span in spans for chord in span.chords]
    for symbol in chords[-1:] + chords[:1]:
        if symbol.root == tonic and symbol.quality in ("", "6", "maj7", "maj9"):
            return Key(tonic)
        if symbol.root == (tonic + 9) % 12 and symbol.quality in ("m", "m6", "m7", "m9", "mmaj7"):
            return Key(symbol.root, minor=True)
    return Key(tonic)


_KIND_QUALITIES = {
    "major": "",
    "major-sixth": "6",
    "major-seventh": "maj7",
    "major-ninth": "maj9",
    "minor": "m",
    "minor-sixth": "m6",
    "minor-seventh": "m7",
    "minor-ninth": "m9",
    "minor-11th": "m9",
    "minor-major-seventh": "mmaj7",
    "dominant": "7",
    "dominant-seventh": "7",
    "dominant-ninth": "9",
    "dominant-11th": "7sus4",
    "dominant-13th": "13",
    "half-diminished": "m7b5",
    "half-diminished-seventh": "m7b5",
    "diminished": "dim",
    "diminished-seventh": "dim7",
    "augmented": "aug",
    "augmented-seventh": "7#5",
    "suspended-fourth": "sus4",
    "suspended-second": "sus4",
    "power": "",
}
# (degree, semitone alteration) on a dominant chord -> quality.
_DOMINANT_ALTERATIONS = {
    (5, 1): "7#5",
    (9, 0): "9",
    (5, -1): "7#11",
    (9, -1): "7b9",
    (9, 1): "7#9",
    (11, 1): "7#11",
    (13, -1): "7b13",
}


def symbol_from_harmony(harmony: Any) -> ChordSymbol | None:
    """A music21 ``ChordSymbol`` (a MusicXML ``<harmony>``) as a jazzbot :class:`ChordSymbol`.

    The MusicXML kind and its degree alterations decide the quality; unknown kinds are recognised
    from the symbol's pitches. None for "N.C." and symbols without a root.
    """
    root = harmony.root()
    if root is None or not harmony.pitches:
        return None
    quality = _KIND_QUALITIES.get(harmony.chordKind)
    modifications = [
        (m.modType, m.degree, m.interval.semitones if m.interval else 0)
        for m in harmony.getChordStepModifications()
    ]
    removed_third = any(kind == "subtract" and degree == 3 for kind, degree, _ in modifications)
    if quality in ("7", "9", "13"):
        if removed_third:
            quality = "7sus4"
        for kind, degree, semitones in modifications:
            if kind in ("alter", "add") and (degree, semitones) in _DOMINANT_ALTERATIONS:
                quality = _DOMINANT_ALTERATIONS[(degree, semitones)]
    elif quality == "sus4" and any(kind == "add" and degree == 7 for kind, degree, _ in modifications):
        quality = "7sus4"
    bass = harmony.bass()
    bass_pc = None if bass is None or bass.pitchClass == root.pitchClass else bass.pitchClass
    if quality is None:
        recognised = recognise({p.pitchClass: 1.0 for p in harmony.pitches}, root.pitchClass)
        return None if recognised is None else ChordSymbol(recognised.root, recognised.quality, bass_pc)
    return ChordSymbol(root.pitchClass, quality, bass_pc)


def _ticks(quarters: float | Fraction) -> int:
    return round(Fraction(quarters) * TICKS_PER_QUARTER)


def _part_notes(part: Any, include_chords: bool) -> list[Note]:
    """Sounding notes of a part (a chord contributes its top note, or all notes when ``include_chords``)."""
    import music21

    notes: list[Note] = []
    for element in part.flatten().notes:
        if isinstance(element, music21.harmony.ChordSymbol):
            continue
        duration = _ticks(element.duration.quarterLength)
        if duration <= 0:
            continue  # grace notes
        start = _ticks(element.offset)
        pitches = [p.midi for p in element.pitches] if hasattr(element, "pitches") else []
        if isinstance(element, music21.note.Unpitched) or not pitches:
            continue
        chosen = pitches if include_chords else [max(pitches)]
        notes.extend(Note(p, start, duration) for p in chosen)
    return sorted(notes, key=lambda n: (n.start, -(n.pitch or 0)))


def _lead_sheet_songs(name: str, spans: Sequence[Span]) -> tuple[tuple[Song, ...], str | None]:
    songs = []
    for i, span in enumerate(spans):
        if not span.melody:
            continue
        label = name if len(spans) == 1 else f"{name} [part {i + 1}]"
        songs.append(_song(label, span.melody, span.chords, span.bars))
    if not songs:
        return (), "no run of 4/4 measures with melody notes under chord symbols"
    return tuple(songs), None


def _song(name: str, melody: Sequence[Note], chords: Sequence[Chord], bars: int) -> Song:
    tokens = encode_song(melody, chords, bars)
    return Song(name, tuple(melody), tuple(chords), bars, tuple(tokens))


# ---- performances: roles by instrument, chords recognised from the accompaniment -------------


def _performance_songs(name: str, parts: list[Any]) -> tuple[tuple[Song, ...], str | None]:
    import music21

    signatures = {
        ts.ratioString
        for part in parts
        for ts in part.recurse().getElementsByClass(music21.meter.TimeSignature)
    }
    if signatures - {"4/4"}:
        return (), f"only 4/4 is supported (found {', '.join(sorted(signatures))})"
    melodic, accompaniment = _roles(parts)
    if not melodic:
        return (), "no melody part (guitar, horn, reed, lead or a part named like one)"
    if not accompaniment:
        return (), "no accompaniment part to read chords from (piano, organ, strings, pads, bass)"
    chord_notes = [n for part in accompaniment for n in _part_notes(part, include_chords=True)]
    bass_notes = [
        n for part in accompaniment if _is_bass(part) for n in _part_notes(part, include_chords=True)
    ]
    length = max(n.end for n in chord_notes)
    halves = _half_bar_chords(chord_notes, bass_notes, length)
    songs = []
    for part in melodic:
        label = part.partName or "melody"
        by_bar = _melody_bars(part)
        run: list[int] = []
        for bar in range(len(halves) // 2 + 1):
            if bar in by_bar and bar * 2 + 1 < len(halves) and halves[bar * 2] and halves[bar * 2 + 1]:
                run.append(bar)
                continue
            songs.extend(_performance_song(name, label, run, by_bar, halves))
            run = []
    if not songs:
        return (), "no stretch of 2+ bars where a melody part plays single notes over recognisable chords"
    return tuple(songs), None


def _performance_song(
    name: str, label: str, run: list[int], by_bar: dict[int, list[Note]], halves: list[ChordSymbol | None]
) -> list[Song]:
    if len(run) < MIN_SONG_BARS:
        return []
    first, start = run[0], run[0] * TICKS_PER_BAR
    end = (run[-1] + 1) * TICKS_PER_BAR
    melody = [
        Note(n.pitch, n.start - start, min(n.end, end) - n.start, n.velocity)
        for bar in run
        for n in by_bar[bar]
    ]
    half = TICKS_PER_BAR // 2
    symbols = [(i * half, s) for i in range(first * 2, (run[-1] + 1) * 2) if (s := halves[i]) is not None]
    chords = chords_from_symbols(symbols, start, end)
    return [_song(f"{name} [{label} bars {first + 1}-{run[-1] + 1}]", melody, chords, len(run))]


def _melody_bars(part: Any) -> dict[int, list[Note]]:
    """Bar index -> the part's notes starting in it, for bars where it plays mostly single notes."""
    import music21

    chordal: dict[int, int] = defaultdict(int)
    onsets: dict[int, int] = defaultdict(int)
    for element in part.flatten().notes:
        bar = _ticks(element.offset) // TICKS_PER_BAR
        onsets[bar] += 1
        if isinstance(element, music21.chord.Chord):
            chordal[bar] += 1
    by_bar: dict[int, list[Note]] = defaultdict(list)
    for note in _part_notes(part, include_chords=False):
        bar = note.start // TICKS_PER_BAR
        if chordal[bar] <= onsets[bar] * _CHORDAL_BAR_SHARE:
            by_bar[bar].append(note)
    return dict(by_bar)


def _half_bar_chords(notes: Sequence[Note], bass: Sequence[Note], length: int) -> list[ChordSymbol | None]:
    """The chord recognised in every half bar (None where the accompaniment names none)."""
    half = TICKS_PER_BAR // 2
    windows = -(-length // half)
    weights: list[dict[int, float]] = [defaultdict(float) for _ in range(windows)]
    lowest: list[int | None] = [None] * windows
    for note in notes:
        for i, overlap in _overlaps(note, half):
            weights[i][(note.pitch or 0) % 12] += overlap
    for note in bass:
        for i, _ in _overlaps(note, half):
            current = lowest[i]
            lowest[i] = note.pitch if current is None else min(current, note.pitch or current)
    return [recognise(w, None if low is None else low % 12) for w, low in zip(weights, lowest, strict=True)]


def _overlaps(note: Note, window: int) -> Iterator[tuple[int, int]]:
    """(window index, ticks of overlap) for every window of ``window`` ticks the note sounds in."""
    for i in range(note.start // window, (note.end - 1) // window + 1):
        overlap = min(note.end, (i + 1) * window) - max(note.start, i * window)
        if overlap > 0:
            yield i, overlap


def _roles(parts: list[Any]) -> tuple[list[Any], list[Any]]:
    """(melody candidates, accompaniment) by GM program, falling back to the part's name."""
    melodic: list[Any] = []
    accompaniment: list[Any] = []
    for part in parts:
        instrument = _pitched_instrument(part)
        if instrument is None:
            continue
        name = f"{part.partName or ''} {instrument.instrumentName or ''}"
        (melodic if _is_melodic(instrument.midiProgram, name) else accompaniment).append(part)
    return melodic, accompaniment


def _is_melodic(program: int | None, name: str) -> bool:
    """A melody instrument by GM program; program 0 (music21's default) or none defers to the name."""
    if program:
        return any(program in family for family in _MELODY_PROGRAMS)
    return bool(_MELODY_NAMES.search(name)) and not _ACCOMPANIMENT_NAMES.search(name)


def _pitched_instrument(part: Any) -> Any | None:
    """The part's last declared instrument, or None for drum parts and parts without pitched notes."""
    import music21

    instruments = list(part.recurse().getElementsByClass(music21.instrument.Instrument))
    if any(
        i.midiChannel == _DRUM_CHANNEL or isinstance(i, music21.instrument.UnpitchedPercussion)
        for i in instruments
    ):
        return None
    pitched = part.recurse().getElementsByClass((music21.note.Note, music21.chord.Chord))
    if not any(not isinstance(e, music21.percussion.PercussionChord) for e in pitched):
        return None
    return instruments[-1] if instruments else music21.instrument.Instrument()


def _is_bass(part: Any) -> bool:
    instrument = _pitched_instrument(part)
    program = None if instrument is None else instrument.midiProgram
    return (program is not None and 32 <= program < 40) or "bass" in (part.partName or "").lower()


# ---- cache ------------------------------------------------------------------------------------


def _read_cache(cache_file: Path, name: str) -> tuple[tuple[Song, ...], str | None] | None:
    try:
        payload = json.loads(cache_file.read_text())
        songs = tuple(_song_from_json(s) for s in payload["songs"])
        return songs, payload["skipped"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.info("ignoring unreadable corpus cache for %s (%s); parsing again", name, error)
        return None


def _write_cache(cache_file: Path, songs: Sequence[Song], skipped: str | None) -> None:
    payload = {"format": CACHE_FORMAT, "songs": [_song_to_json(s) for s in songs], "skipped": skipped}
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload, separators=(",", ":")))
        temporary.replace(cache_file)
    except OSError as error:
        log.warning("could not write the corpus cache %s (%s); the next run parses again", cache_file, error)


def _song_to_json(song: Song) -> dict[str, Any]:
    return {
        "name": song.name,
        "bars": song.bars,
        "melody": [[n.pitch, n.start, n.duration, n.velocity] for n in song.melody],
        "chords": [
            [c.symbol.root, c.symbol.quality, c.symbol.bass, c.start, c.duration, c.name] for c in song.chords
        ],
        "tokens": list(song.tokens),
    }


def _song_from_json(data: dict[str, Any]) -> Song:
    return Song(
        data["name"],
        tuple(Note(p, s, d, v) for p, s, d, v in data["melody"]),
        tuple(Chord(ChordSymbol(r, q, b), s, d, n) for r, q, b, s, d, n in data["chords"]),
        data["bars"],
        tuple(data["tokens"]),
    )


# ---- command line -----------------------------------------------------------------------------


def summary(corpus: Corpus) -> str:
    """A per-file table: bars, notes, tokens, or the reason a file was skipped."""
    rows = [f"{'file':42} {'songs':>5} {'bars':>5} {'notes':>6} {'tokens':>7}  status"]
    for report in corpus.reports:
        bars = sum(s.bars for s in report.songs)
        notes = sum(sum(1 for t in s.tokens if is_note(t)) for s in report.songs)
        tokens = sum(len(s.tokens) for s in report.songs)
        status = f"skipped: {report.skipped}" if report.skipped else ("cached" if report.cached else "parsed")
        rows.append(
            f"{report.name[:42]:42} {len(report.songs):>5} {bars:>5} {notes:>6} {tokens:>7}  {status}"
        )
    total_bars = sum(s.bars for s in corpus.songs)
    rows.append(f"{len(corpus.reports)} files, {len(corpus.songs)} songs, {total_bars} bars")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, action="append", help="a music file or folder (repeatable)")
    parser.add_argument(
        "--wjazzd", type=Path, help="a Weimar Jazz Database folder (default ../shared/data/wjazzd)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger(wjazzd.__name__).setLevel(logging.ERROR)  # the summary lists skipped solos
    try:
        if args.wjazzd is not None or args.data is None:
            folder = args.wjazzd or wjazzd.default_folder()
            if folder.is_dir() or args.wjazzd is not None:
                print(wjazzd.summary(wjazzd.load_solos(folder)), end="\n\n")
            else:
                print(f"Weimar Jazz Database: not found at {folder}", end="\n\n")
        if args.data is not None or args.wjazzd is None:
            corpus = load_corpus(args.data)
            print("Lead sheets and performances (read with music21):")
            print(summary(corpus))
    except InputError as error:
        print(f"error: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
