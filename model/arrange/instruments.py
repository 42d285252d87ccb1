"""Who plays: General MIDI programs, channels, and each instrument's real range and sweet spot.

Ranges are sounding MIDI pitches (a tenor sax sounds a major ninth below its written part). A lead's
``low``..``high`` is what a working jazz player reaches without altissimo (so a part never asks for a
note the instrument cannot play); ``sweet`` (hand-set) is where the arranger aims the median of a line
composed elsewhere, and places the lead's line range around. The sweet spots sit high enough that
rootless piano voicings fit under them. ``line_range`` is where the composer writes a lead's line
(:data:`LINE_SPAN` semitones inside the real range), so the line is played as composed; inside it the
line is centred where the instrument's real players sit (:mod:`model.lead_centres`; the flute, with
none in the database, at its sweet spot).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Instrument:
    """A General MIDI program with its real range (inclusive) and where its line sits best."""

    program: int
    low: int
    high: int
    sweet: int

    def holds(self, pitch: int) -> bool:
        return self.low <= pitch <= self.high

    @property
    def line_range(self) -> tuple[int, int]:
        """The pitches the composer writes this instrument's line in: :data:`LINE_SPAN` semitones (the
        composer's default width) inside the real range, centred as near the sweet spot as the range
        allows (a tenor's 46..75 sits below its sweet spot: the top of its range is near). The
        composer's register pull centres the line there, so no octave shift is needed to play it."""
        width = min(LINE_SPAN, self.high - self.low)
        low = min(max(self.sweet - width // 2, self.low), self.high - width)
        return low, low + width


LINE_SPAN = 29  # model.compose's default range, 55..84, is this wide (a test checks)


LEADS: dict[str, Instrument] = {
    "tenor sax": Instrument(66, 44, 75, 66),  # Ab2..Eb5 (written Bb3..F6)
    "alto sax": Instrument(65, 49, 80, 71),  # Db3..Ab5 (written Bb3..F6)
    "soprano sax": Instrument(64, 56, 87, 74),  # Ab3..Eb6 (written Bb3..F6)
    "trumpet": Instrument(56, 52, 82, 71),  # E3..Bb5 (written F#3..C6)
    "trombone": Instrument(57, 40, 77, 63),  # E2..F5
    "clarinet": Instrument(71, 50, 89, 72),  # D3..F6 (written E3..G6)
    "flute": Instrument(73, 60, 93, 79),  # C4..A6
    "jazz guitar": Instrument(26, 40, 84, 69),  # E2..C6 (20th fret of the top string)
    "vibraphone": Instrument(11, 53, 89, 75),  # F3..F6: the three-octave bar
    "piano": Instrument(0, 21, 108, 76),  # A0..C8; a right hand solos around E5
}
LEAD_INSTRUMENTS: dict[str, int] = {name: lead.program for name, lead in LEADS.items()}

PIANO = Instrument(0, 21, 108, 60)  # acoustic grand; comping lives in PIANO_LOW..PIANO_HIGH
BASS = Instrument(32, 28, 67, 38)  # acoustic bass E1..G4 (sounding); walking lines keep to E1..G3
PIANO_LOW, PIANO_HIGH = 48, 72  # C3..C5: where comping voicings live (low-interval limit at the bottom)
BASS_LOW, BASS_HIGH = 28, 55  # E1..G3
BASS_ROOT_HIGH = 50  # a chord's root on its first beat sits no higher than D3

LEAD_CHANNEL, PIANO_CHANNEL, BASS_CHANNEL, DRUM_CHANNEL = 0, 1, 2, 9
# GM2/GS kits on channel 10: Jazz, Brush, Jazz, Jazz (a slow waltz takes the ballad's brushes)
DRUM_KITS = {"swing": 32, "ballad": 40, "bossa": 32, "waltz": 32}
PAN = {"Lead": 64, "Piano": 46, "Bass": 60, "Drums": 80}

# GM percussion keys
KICK, SIDE_STICK, SNARE, BRUSH_SWIRL, CLOSED_HAT, PEDAL_HAT = 36, 37, 38, 40, 42, 44
LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE, RIDE_BELL = 45, 47, 50, 49, 51, 53
DRUM_LOW, DRUM_HIGH = 35, 81  # the GM percussion map
