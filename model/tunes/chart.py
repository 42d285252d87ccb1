"""Reading one chart of the Jazz Chord Progressions Corpus (Impro-Visor "Imaginary Book" format).

A chart is a header (``Title =``, ``ComposedBy =``, ``DBKeySig =``, ``TimeSig =``, ``Bars =``) and
then the whole form written out, every bar ended by ``|``. A bar's chords share its beats equally;
a chord whose equal share would start between beats moves to the nearest beat (halves round up),
and when two chords land on one beat the later one wins (it is the one heard from there on); a
chord landing on the next bar line is dropped. Repeated chords in a bar (``G#9 G#9 G#9 Gm11``, the
corpus' way of writing eighth-note rhythm) are one chord. ``NC`` (no chord: a break) holds the chord
before it, or the first chord of the tune when it opens the chart, so the band always has a harmony.

Header names are read forgivingly (``DB Key`` for ``DBKeySig``, a stray prefix before ``Title``);
a missing title comes from the file name, an unreadable key signature (``U``) is guessed from the
chords. The ``Bars =`` line is not trusted: the written-out bars are the form (three files disagree).
Cut time (2/2) has the four quarter beats of 4/4 and is read as 4/4; 3/4 is kept as 3 beats a bar;
other meters are refused with a :class:`ChartError` that names them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from model.endings import DOMINANT_QUALITIES, Bar, tonic_qualities
from model.errors import InputError
from model.theory import ChordSymbol, Key, TheoryError, parse_key

SUPPORTED_METERS = {(4, 4): 4, (2, 2): 4, (3, 4): 3}
"""TimeSig -> beats (quarter notes) per bar, for the meters the tune library keeps."""

# Every quality spelling in the corpus (122 of them), mapped onto jazzbot's closed table
# (model.theory.QUALITIES). Colours jazzbot has no quality for fold into the nearest one that keeps
# the chord's function and its defining tones: added 9ths and 2nds into the triad, 11ths and 13ths
# into the 9th chord, b5 into #11 (same pitch), several alterations into 7alt or the one kept.
IMPRO_VISOR_QUALITIES: dict[str, str] = {
    # major triads and sixths
    "": "",
    "M": "",
    "5": "",
    "2": "",
    "add9": "",
    "add9no3": "",
    "6": "6",
    "M6": "6",
    "69": "6",
    "M69": "6",
    "6#11": "6",
    "6b5": "6",
    "M69#11": "6",
    # major sevenths
    "M7": "maj7",
    "maj7": "maj7",
    "M7add13": "maj7",
    "M9": "maj9",
    "maj9": "maj9",
    "M13": "maj9",
    "maj13": "maj9",
    "M7#11": "maj7#11",
    "M9#11": "maj7#11",
    "maj9#11": "maj7#11",
    "M13#11": "maj7#11",
    "M7#9#11": "maj7#11",
    "M7#9b5": "maj7#11",
    "M7b5": "maj7#11",
    "Mb5": "maj7#11",
    # augmented
    "+": "aug",
    "+add9": "aug",
    "+add#9": "aug",
    "M7#5": "aug",
    "maj7#5": "aug",
    "M7+": "aug",
    "M9#5": "aug",
    "M#5add9": "aug",
    # minor
    "m": "m",
    "mi": "m",
    "madd9": "m",
    "madd4": "m",
    "m+": "m",
    "m#5": "m",
    "mb6": "m",
    "m6": "m6",
    "m69": "m6",
    "m7": "m7",
    "m7add11": "m7",
    "m7add4": "m7",
    "m7b9": "m7",
    "m7#5": "m7",
    "m9": "m9",
    "m11": "m9",
    "m13": "m9",
    "mM7": "mmaj7",
    "mMaj7": "mmaj7",
    "mM9": "mmaj7",
    "mM7b6": "mmaj7",
    # half-diminished and diminished
    "m7b5": "m7b5",
    "h7": "m7b5",
    "m9b5": "m7b5",
    "m11b5": "m7b5",
    "mb5": "dim",
    "o": "dim",
    "dim": "dim",
    "o7": "dim7",
    "dim7": "dim7",
    "oM7": "dim7",
    "o7M7": "dim7",
    # dominants
    "7": "7",
    "67": "13",
    "7add6": "13",
    "7add13": "13",
    "9": "9",
    "13": "13",
    "11": "7sus4",
    "7b9": "7b9",
    "13b9": "7b9",
    "addb9": "7b9",
    "7b9#11": "7b9",
    "13b9#11": "7b9",
    "7b5b9": "7b9",
    "7b9b5": "7b9",
    "7#9": "7#9",
    "13#9": "7#9",
    "7alt": "7alt",
    "7#5#9": "7alt",
    "7#5b9": "7alt",
    "7b9b13": "7alt",
    "7#9b13": "7alt",
    "7b5#9": "7alt",
    "7#9#11": "7alt",
    "7#5b9#11": "7alt",
    "7#11": "7#11",
    "9#11": "7#11",
    "13#11": "7#11",
    "7b5": "7#11",
    "9b5": "7#11",
    "13b5": "7#11",
    "7b13": "7b13",
    "9b13": "7b13",
    "7b6": "7b13",
    "7+": "7#5",
    "+7": "7#5",
    "7#5": "7#5",
    "9#5": "7#5",
    "9+": "7#5",
    # suspended
    "sus": "sus4",
    "sus4": "sus4",
    "sus2": "sus4",
    "sus24": "sus4",
    "4": "sus4",
    "7sus": "7sus4",
    "7sus4": "7sus4",
    "9sus": "7sus4",
    "9sus4": "7sus4",
    "13sus": "7sus4",
    "13sus4": "7sus4",
    "7b9sus4": "7sus4",
    "7sus4b9": "7sus4",
    "7susb9": "7sus4",
    "susb9": "7sus4",
    "7sus4b9b13": "7sus4",
}

NO_CHORD = "NC"
_CHORD_RE = re.compile(r"([A-G][b#]?)([^/]*)(?:/([A-G][b#]?))?")
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


class ChartError(InputError):
    """A chart file jazzbot cannot read (empty, a broken bar, an unsupported meter)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart as read: the form's bars in ``beats_per_bar`` beats, in the tune's own key."""

    title: str
    composer: str
    key: Key
    beats_per_bar: int
    bars: tuple[Bar, ...]


def pitch_class(name: str) -> int:
    return (_PITCH[name[0]] + name[1:].count("#") - name[1:].count("b")) % 12


def parse_impro_chord(word: str) -> ChordSymbol:
    """``"Am7b5"``, ``"FM7#9b5"``, ``"Fm7/Ab"`` -> :class:`ChordSymbol` (Impro-Visor spelling)."""
    match = _CHORD_RE.fullmatch(word)
    quality = IMPRO_VISOR_QUALITIES.get(match.group(2)) if match else None
    if match is None or quality is None:
        raise TheoryError(f"'{word}' is not a chord symbol jazzbot knows (like Cm7, F7b9, BbM7 or G7/B)")
    bass = pitch_class(match.group(3)) if match.group(3) else None
    root = pitch_class(match.group(1))
    return ChordSymbol(root, quality, None if bass == root else bass)


def read_chart_file(path: Path) -> Chart:
    """The chart in ``path``; a :class:`ChartError` naming the file (and bar) when it cannot be read."""
    try:
        return read_chart(path.read_text(encoding="utf-8"), path.stem)
    except ChartError as error:
        raise ChartError(f"{path.name}: {error}") from error


def read_chart(text: str, name: str = "chart") -> Chart:
    """A chart from its text; ``name`` (the file's stem) gives the title when the header has none."""
    header: dict[str, str] = {}
    cells: list[str] = []
    for line in text.splitlines():
        if "|" in line:
            body = line.strip().removeprefix("|").removesuffix("|")
            cells.extend(body.split("|"))
        elif "=" in line and not cells:
            field, _, value = line.partition("=")
            header[_field(field)] = value.strip()
        elif line.strip():
            cells.append(line)  # a last bar without its closing bar line
    beats = _meter(header.get("timesig", "4 4"))
    if not cells:
        raise ChartError("the chart has no bars (they look like '| Dm7 G7 | CM7 |').")
    bars = _bars(cells, beats)
    return Chart(
        title=header.get("title") or _title_from(name),
        composer=header.get("composer", ""),
        key=_tune_key(header.get("key", ""), bars),
        beats_per_bar=beats,
        bars=tuple(bars),
    )


def _field(name: str) -> str:
    letters = re.sub(r"[^a-z]", "", name.lower())
    if letters.endswith("title"):
        return "title"
    if letters.startswith("composed"):
        return "composer"
    if "key" in letters:
        return "key"
    return letters


def _title_from(stem: str) -> str:
    """``"AutumnLeaves"`` -> ``"Autumn Leaves"``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", stem).replace("_", " ").strip()


def _meter(text: str) -> int:
    numbers = tuple(int(n) for n in re.findall(r"\d+", text))
    if len(numbers) != 2:
        raise ChartError(f"TimeSig '{text}' is not a meter like '4 4'.")
    if numbers not in SUPPORTED_METERS:
        supported = ", ".join(f"{a}/{b}" for a, b in SUPPORTED_METERS)
        raise ChartError(f"the tune is in {numbers[0]}/{numbers[1]}; jazzbot plays {supported}.")
    return SUPPORTED_METERS[numbers]


def _bars(cells: list[str], beats: int) -> list[Bar]:
    """The bars with each chord on a whole beat; NC replaced by the harmony it interrupts."""
    timed: list[list[tuple[Fraction, ChordSymbol | None]]] = []
    for number, cell in enumerate(cells, start=1):
        words = cell.split()
        if not words:
            raise ChartError(f"bar {number} is empty.")
        try:
            symbols = [None if w == NO_CHORD else parse_impro_chord(w) for w in words]
        except TheoryError as error:
            raise ChartError(f"bar {number}: {error}.") from error
        timed.append([(Fraction(i * beats, len(words)), s) for i, s in enumerate(symbols)])
    known = [s for bar in timed for _, s in bar if s is not None]
    if not known:
        raise ChartError("the chart has only NC (no chord) bars.")
    previous = known[0]
    bars = []
    for bar in timed:
        onsets: dict[int, ChordSymbol] = {}
        for start, symbol in bar:
            previous = symbol or previous
            beat = int(start + Fraction(1, 2))
            if beat < beats:
                onsets[beat] = previous
        merged: list[tuple[int, ChordSymbol]] = []
        for beat in sorted(onsets):
            if not merged or merged[-1][1] != onsets[beat]:
                merged.append((beat, onsets[beat]))
        ends = [b for b, _ in merged[1:]] + [beats]
        bars.append(tuple((symbol, end - beat) for (beat, symbol), end in zip(merged, ends, strict=True)))
    return bars


SIGNATURE_PRIOR, LAST_CHORD_WEIGHT, FIRST_CHORD_WEIGHT, CADENCE_WEIGHT = 12, 24, 8, 4
"""Beats of evidence for the key signature's keys, for a chart closing or opening on a key's tonic
chord, and for each dominant (V7 or bII7) resolving to it."""


def _tune_key(signature: str, bars: list[Bar]) -> Key:
    """The tune's key. A 12-bar blues (bars 1 and 11 on one root, bar 5 a fourth above) is in the
    key of its first chord. Otherwise, of the 24 keys, the one with the most evidence, in beats:
    beats held on its tonic chords (a tonic-quality chord on its root), :data:`CADENCE_WEIGHT` per
    dominant (V7 or bII7) resolving to one, :data:`LAST_CHORD_WEIGHT` when the chart closes on one,
    :data:`FIRST_CHORD_WEIGHT` when it opens on one (an m7 tonic counts half everywhere, as ii and
    vi chords are m7 too), and :data:`SIGNATURE_PRIOR` for the ``DBKeySig`` major key and its
    relative minor (the corpus writes Autumn Leaves' G minor as ``Bb``, and a few keys not at all:
    ``U``). Ties go to the signature's major key, then its minor."""
    firsts = [bar[0][0] for bar in bars]
    if len(bars) == 12 and firsts[0].root == firsts[10].root == (firsts[4].root - 5) % 12:
        return Key(firsts[0].root, firsts[0].quality in tonic_qualities(Key(0, minor=True)))
    try:
        written: Key | None = parse_key(signature)
    except TheoryError:
        written = None
    chords = [chord for bar in bars for chord in bar]

    def score(key: Key) -> float:
        def home(chord: ChordSymbol) -> float:
            if chord.root != key.tonic or chord.bass is not None or chord.quality not in tonic_qualities(key):
                return 0.0
            return 0.5 if chord.quality == "m7" else 1.0

        held = sum(beats * home(chord) for chord, beats in chords)
        cadences = sum(
            home(after) * (before.quality in DOMINANT_QUALITIES and (before.root - key.tonic) % 12 in (7, 1))
            for (before, _), (after, _) in itertools.pairwise(chords)
        )
        return (
            held
            + CADENCE_WEIGHT * cadences
            + LAST_CHORD_WEIGHT * home(chords[-1][0])
            + FIRST_CHORD_WEIGHT * home(chords[0][0])
            + SIGNATURE_PRIOR * (key in signature_keys)
        )

    signature_keys: tuple[Key, ...] = ()
    if written is not None:
        major = Key((written.tonic + 3) % 12) if written.minor else Key(written.tonic)
        signature_keys = (major, Key((major.tonic + 9) % 12, minor=True))
    candidates = [*signature_keys] + [Key(t, m) for m in (False, True) for t in range(12)]
    return max(candidates, key=lambda key: (score(key), -candidates.index(key)))
