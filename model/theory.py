"""Pitch classes, keys and chord symbols: the small music theory every part of jazzbot shares.

Chord qualities are a closed table (``QUALITIES``) so that grammar tokens, voicings and the
progression library all agree on what "m7b5" means. Each quality carries its chord tones and the
chord-scale a jazz player would use over it; the grammar classifies melody notes against both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from model.errors import InputError

PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

# Tonics (as pitch classes) whose key signatures use sharps; everything else is spelled with flats.
_SHARP_MAJOR_TONICS = frozenset({7, 2, 9, 4, 11, 6})  # G D A E B F#
_SHARP_MINOR_TONICS = frozenset({4, 11, 6, 1, 8})  # Em Bm F#m C#m G#m


class TheoryError(InputError):
    """A pitch, key or chord symbol that jazzbot cannot read; the message says what was wrong."""


@dataclass(frozen=True, slots=True)
class Quality:
    """A chord quality: intervals of its tones and of its chord-scale, in semitones above the root."""

    suffix: str
    tones: tuple[int, ...]
    scale: tuple[int, ...]


_IONIAN = (0, 2, 4, 5, 7, 9, 11)
_LYDIAN = (0, 2, 4, 6, 7, 9, 11)
_MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)
_DORIAN = (0, 2, 3, 5, 7, 9, 10)
_AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
_MELODIC_MINOR = (0, 2, 3, 5, 7, 9, 11)
_LOCRIAN_NAT2 = (0, 2, 3, 5, 6, 8, 10)
_DIMINISHED_WH = (0, 2, 3, 5, 6, 8, 9, 11)
_DIMINISHED_HW = (0, 1, 3, 4, 6, 7, 9, 10)
_ALTERED = (0, 1, 3, 4, 6, 8, 10)
_WHOLE_TONE = (0, 2, 4, 6, 8, 10)
_LYDIAN_DOMINANT = (0, 2, 4, 6, 7, 9, 10)
_MIXOLYDIAN_B13 = (0, 2, 4, 5, 7, 8, 10)

QUALITIES: dict[str, Quality] = {
    q.suffix: q
    for q in (
        Quality("", (0, 4, 7), _IONIAN),
        Quality("6", (0, 4, 7, 9), _IONIAN),
        Quality("maj7", (0, 4, 7, 11), _IONIAN),
        Quality("maj9", (0, 4, 7, 11, 2), _IONIAN),
        Quality("maj7#11", (0, 4, 7, 11, 6), _LYDIAN),
        Quality("m", (0, 3, 7), _DORIAN),
        Quality("m6", (0, 3, 7, 9), _MELODIC_MINOR),
        Quality("m7", (0, 3, 7, 10), _DORIAN),
        Quality("m9", (0, 3, 7, 10, 2), _DORIAN),
        Quality("mmaj7", (0, 3, 7, 11), _MELODIC_MINOR),
        Quality("7", (0, 4, 7, 10), _MIXOLYDIAN),
        Quality("9", (0, 4, 7, 10, 2), _MIXOLYDIAN),
        Quality("13", (0, 4, 7, 10, 2, 9), _MIXOLYDIAN),
        Quality("7b9", (0, 4, 7, 10, 1), _DIMINISHED_HW),
        Quality("7#9", (0, 4, 7, 10, 3), _ALTERED),
        Quality("7alt", (0, 4, 10, 1, 8), _ALTERED),
        Quality("7#11", (0, 4, 7, 10, 6), _LYDIAN_DOMINANT),
        Quality("7b13", (0, 4, 7, 10, 8), _MIXOLYDIAN_B13),
        Quality("7#5", (0, 4, 8, 10), _WHOLE_TONE),
        Quality("7sus4", (0, 5, 7, 10), _MIXOLYDIAN),
        Quality("sus4", (0, 5, 7), _MIXOLYDIAN),
        Quality("m7b5", (0, 3, 6, 10), _LOCRIAN_NAT2),
        Quality("dim", (0, 3, 6), _DIMINISHED_WH),
        Quality("dim7", (0, 3, 6, 9), _DIMINISHED_WH),
        Quality("aug", (0, 4, 8), _WHOLE_TONE),
    )
}

# Spellings seen in lead sheets and chat, mapped to the canonical suffixes above.
_QUALITY_ALIASES: dict[str, str] = {
    "": "",
    "maj": "",
    "M": "",
    "major": "",
    "6": "6",
    "69": "6",
    "6/9": "6",
    "maj6": "6",
    "maj7": "maj7",
    "Maj7": "maj7",
    "ma7": "maj7",
    "M7": "maj7",
    "Δ": "maj7",
    "Δ7": "maj7",
    "maj9": "maj9",
    "M9": "maj9",
    "maj7#11": "maj7#11",
    "m": "m",
    "mi": "m",
    "min": "m",
    "-": "m",
    "minor": "m",
    "m6": "m6",
    "mi6": "m6",
    "min6": "m6",
    "-6": "m6",
    "m7": "m7",
    "mi7": "m7",
    "min7": "m7",
    "-7": "m7",
    "m9": "m9",
    "mi9": "m9",
    "min9": "m9",
    "-9": "m9",
    "m11": "m9",
    "mmaj7": "mmaj7",
    "m(maj7)": "mmaj7",
    "mM7": "mmaj7",
    "-maj7": "mmaj7",
    "7": "7",
    "dom7": "7",
    "9": "9",
    "11": "7sus4",
    "13": "13",
    "7b9": "7b9",
    "7(b9)": "7b9",
    "7#9": "7#9",
    "7(#9)": "7#9",
    "7alt": "7alt",
    "alt": "7alt",
    "7#11": "7#11",
    "9#11": "7#11",
    "7b13": "7b13",
    "7#5": "7#5",
    "7+": "7#5",
    "+7": "7#5",
    "aug7": "7#5",
    "7sus4": "7sus4",
    "7sus": "7sus4",
    "9sus4": "7sus4",
    "9sus": "7sus4",
    "sus4": "sus4",
    "sus": "sus4",
    "m7b5": "m7b5",
    "mi7b5": "m7b5",
    "min7b5": "m7b5",
    "-7b5": "m7b5",
    "ø": "m7b5",
    "ø7": "m7b5",
    "dim": "dim",
    "°": "dim",
    "o": "dim",
    "dim7": "dim7",
    "°7": "dim7",
    "o7": "dim7",
    "aug": "aug",
    "+": "aug",
}

_CHORD_RE = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)(.*?)(?:/([A-Ga-g])([#b♯♭]?))?\s*$")
_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|-|maj|major|M)?\s*$",
)


def _pitch_class(letter: str, accidental: str) -> int:
    pc = PITCH_CLASSES[letter.upper()]
    if accidental in ("#", "♯"):
        pc += 1
    elif accidental in ("b", "♭"):
        pc -= 1
    return pc % 12


@dataclass(frozen=True, slots=True)
class Key:
    """A key: tonic pitch class and mode. ``name`` is the short form used everywhere ("Bb", "Cm")."""

    tonic: int
    minor: bool = False

    @property
    def uses_sharps(self) -> bool:
        tonics = _SHARP_MINOR_TONICS if self.minor else _SHARP_MAJOR_TONICS
        return self.tonic in tonics

    def spell(self, pitch_class: int, quality: str | None = None) -> str:
        """Name a pitch class as a lead sheet in this key would: notes of the key by its signature (F# in
        D major, Gb in Db); the others by their usual function: the flat II, III, VI and VII with flats
        (Eb7 in D major, not D#7), also the major 3rd of a minor key (Gb7 in D minor); the raised 6th of
        a minor key with a sharp (F#m7b5 in A minor). The tritone above the tonic, and the raised 7th of a
        minor key, depend on the chord built on them (``quality``): sharp under minor and diminished
        chords (F#m7b5 in C, G#dim7 in A minor), flat under the rest (tritone substitutes: Gb7 in C, Gb7
        in G minor)."""
        degree = (pitch_class - self.tonic) % 12
        if degree in (_AEOLIAN if self.minor else _IONIAN):
            sharp = self.uses_sharps
        elif quality is not None and quality.startswith("dim"):
            sharp = True  # passing diminished chords rise to the next degree: C#dim7 between C and Dm7
        elif self.minor and degree == 9:
            sharp = True
        elif degree == 6 or (self.minor and degree == 11):
            sharp = (
                quality is None
                or quality.startswith("dim")
                or (quality.startswith("m") and not quality.startswith("maj"))
            )
        else:
            sharp = False
        return (SHARP_NAMES if sharp else FLAT_NAMES)[pitch_class % 12]

    @property
    def name(self) -> str:
        return self.spell(self.tonic) + ("m" if self.minor else "")

    def transpose(self, semitones: int) -> Key:
        return Key((self.tonic + semitones) % 12, self.minor)

    def in_mode(self, minor: bool) -> Key:
        """The key with this one's signature in the given mode: its relative (Dm -> F, F -> Dm) when the
        mode differs, itself otherwise."""
        if minor == self.minor:
            return self
        return Key((self.tonic + (-3 if minor else 3)) % 12, minor)


def parse_key(text: str) -> Key:
    """``"Bb"``, ``"F# major"``, ``"Cm"``, ``"c minor"``, ``"Eb-"`` -> :class:`Key`."""
    match = _KEY_RE.fullmatch(text)
    if not match:
        raise TheoryError(f"'{text}' is not a key (try C, Bb, F#, Cm or 'Eb minor').")
    mode = match.group(3) or ""
    return Key(_pitch_class(match.group(1), match.group(2)), mode in ("m", "min", "minor", "-"))


@dataclass(frozen=True, slots=True)
class ChordSymbol:
    """A chord symbol without timing: root pitch class, canonical quality suffix, optional bass."""

    root: int
    quality: str
    bass: int | None = None

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise TheoryError(f"unknown chord quality '{self.quality}'")

    @property
    def tones(self) -> frozenset[int]:
        """Pitch classes of the chord tones (extensions included where the quality names them)."""
        return frozenset((self.root + i) % 12 for i in QUALITIES[self.quality].tones)

    @property
    def scale(self) -> frozenset[int]:
        """Pitch classes of the chord-scale (always a superset of :attr:`tones`)."""
        return frozenset((self.root + i) % 12 for i in QUALITIES[self.quality].scale) | self.tones

    def transpose(self, semitones: int) -> ChordSymbol:
        bass = None if self.bass is None else (self.bass + semitones) % 12
        return ChordSymbol((self.root + semitones) % 12, self.quality, bass)

    def name(self, key: Key | None = None) -> str:
        """Spelled symbol, e.g. ``Bbmaj7`` or ``D7/F#``; spelling follows ``key`` (flats if none)."""
        speller = key or Key(0)
        text = speller.spell(self.root, self.quality) + self.quality
        if self.bass is not None and self.bass != self.root:
            text += "/" + speller.spell(self.bass)
        return text


def parse_chord(text: str) -> ChordSymbol:
    """``"Bbmaj7"``, ``"F#m7b5"``, ``"C-7"``, ``"G7/B"`` -> :class:`ChordSymbol`."""
    match = _CHORD_RE.fullmatch(text)
    if not match:
        raise TheoryError(f"'{text}' is not a chord symbol (try Cm7, F7, Bbmaj7).")
    suffix = match.group(3).strip()
    quality = _QUALITY_ALIASES.get(suffix, _QUALITY_ALIASES.get(re.sub(r"[()]", "", suffix)))
    if quality is None:
        raise TheoryError(f"'{text}': unknown chord quality '{match.group(3)}'.")
    root = _pitch_class(match.group(1), match.group(2))
    bass = _pitch_class(match.group(4), match.group(5)) if match.group(4) else None
    return ChordSymbol(root, quality, bass)
