"""A composed piece as a jazz combo in General MIDI: lead, piano comping, walking bass and drums.

:func:`arrange` turns a :class:`~model.piece.Piece` into a type-1 MIDI file with a conductor track
(tempo, 4/4, a ``marker`` with the chord name at every chord) and the tracks "Lead", "Piano", "Bass"
and "Drums" (GM channel 10). It is pure Python + mido (no music21: ~0.45 s per request) and a pure
function of the piece and the options: the same seed gives the same bytes.

How each player thinks (docs/MODEL.md, "Arrangement", says why):

* **Lead** plays the melody as composed, moved by whole octaves towards the instrument's sweet spot.
* **Piano** comps with rootless voicings (3rd and 7th plus 9th/13th colour; the bass has the root),
  each chord's voicing picked among two forms and their octave placements as the one that moves
  least from the previous chord, kept around E3..C5. Rhythm per style: swing picks a comping figure
  per bar (Charleston, pushes on the "and" of 4 that anticipate the next chord, ...), ballad holds
  rolled pads and re-voices on beat 3, bossa plays the clave-like two-bar figure.
* **Bass** plays the chord's root on its first beat, chord and scale tones in between, and an
  approach note (chromatic, scale step or the fifth) on the beat before the next chord; swing walks
  in quarters, ballad in a two-feel, bossa root-fifth with eighth-note anticipations.
* **Drums** ride "spang-a-lang" with hi-hat on 2 and 4 and light snare/kick comping (swing),
  brushes (ballad), cross-stick, straight hi-hat eighths and the bossa kick (bossa).

Everything is generated on a straight grid and then swung: the off-beat eighth of every beat moves to
``swing`` x one beat (the sixteenths in between are stretched to match). Lead beats that contain a
triplet or other non-sixteenth position are left as written, since the composer already swung them.
"""

from __future__ import annotations

import io
import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from statistics import median

import mido

from model.errors import InputError
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Piece
from model.theory import QUALITIES, ChordSymbol

STYLES = ("swing", "ballad", "bossa")
_LEADS: dict[str, tuple[int, int]] = {  # name -> (GM program, MIDI pitch its melodies are centred on)
    "tenor sax": (66, 63),
    "alto sax": (65, 68),
    "trumpet": (56, 69),
    "clarinet": (71, 67),
    "flute": (73, 79),
    "jazz guitar": (26, 64),
    "vibraphone": (11, 70),
    "piano": (0, 70),
}
LEAD_INSTRUMENTS: dict[str, int] = {name: program for name, (program, _) in _LEADS.items()}
DEFAULT_TEMPI: dict[str, int] = {"swing": 160, "ballad": 72, "bossa": 132}
DEFAULT_SWING: dict[str, float] = {"swing": 0.62, "ballad": 0.6, "bossa": 0.5}
MIN_SWING, MAX_SWING = 0.5, 0.75
MAX_SEED = 2**63 - 1

LEAD_CHANNEL, PIANO_CHANNEL, BASS_CHANNEL, DRUM_CHANNEL = 0, 1, 2, 9
PIANO_PROGRAM, BASS_PROGRAM = 0, 32  # acoustic grand, acoustic bass
DRUM_KITS = {"swing": 32, "ballad": 40, "bossa": 32}  # GM2/GS kits on channel 10: Jazz, Brush, Jazz
PIANO_LOW, PIANO_HIGH = 52, 72  # E3..C5: where comping voicings live
BASS_LOW, BASS_HIGH = 28, 55  # E1..G3
BASS_ROOT_HIGH = 50  # a chord's root on its first beat sits no higher than D3
_PAN = {"Lead": 64, "Piano": 46, "Bass": 60, "Drums": 80}

BEAT = TICKS_PER_QUARTER
EIGHTH = BEAT // 2

# GM percussion keys
KICK, SIDE_STICK, SNARE, BRUSH_SWIRL, CLOSED_HAT, PEDAL_HAT, CRASH, RIDE = 36, 37, 38, 40, 42, 44, 49, 51

# Rootless voicings per quality, as intervals above the root: an "A" form (3rd or 7th at the
# bottom) and a "B" form (the other one at the bottom). Every tone is in the quality's chord-scale.
_MAJOR_6 = ((4, 7, 9, 14), (9, 14, 16, 19))
_MAJOR_7 = ((4, 7, 11, 14), (11, 14, 16, 19))
_MINOR_6 = ((3, 7, 9, 14), (9, 14, 15, 19))
_MINOR_7 = ((3, 7, 10, 14), (10, 14, 15, 19))
_DOMINANT = ((4, 9, 10, 14), (10, 14, 16, 21))
_DOMINANT_B13 = ((4, 8, 10, 14), (10, 14, 16, 20))
_DIMINISHED = ((3, 6, 9, 14), (9, 14, 15, 18))
VOICINGS: dict[str, tuple[tuple[int, ...], ...]] = {
    "": _MAJOR_6,
    "6": _MAJOR_6,
    "maj7": _MAJOR_7,
    "maj9": _MAJOR_7,
    "maj7#11": ((4, 6, 11, 14), (11, 14, 16, 18)),
    "m": _MINOR_6,
    "m6": _MINOR_6,
    "m7": _MINOR_7,
    "m9": _MINOR_7,
    "mmaj7": ((3, 7, 11, 14), (11, 14, 15, 19)),
    "7": _DOMINANT,
    "9": _DOMINANT,
    "13": _DOMINANT,
    "7b9": ((4, 9, 10, 13), (10, 13, 16, 21)),
    "7#9": ((4, 8, 10, 15), (10, 15, 16, 20)),
    "7alt": ((4, 8, 10, 13), (10, 13, 16, 20)),
    "7#11": ((4, 6, 10, 14), (10, 14, 16, 18)),
    "7b13": _DOMINANT_B13,
    "7#5": _DOMINANT_B13,
    "7sus4": ((5, 7, 10, 14), (10, 14, 17, 19)),
    "sus4": ((5, 7, 9, 14), (9, 14, 17, 19)),
    "m7b5": ((3, 6, 10, 14), (10, 14, 15, 18)),
    "dim": _DIMINISHED,
    "dim7": _DIMINISHED,
    "aug": ((4, 8, 14), (8, 14, 16)),
}

# Swing comping figures, one per bar: (offset, length) in straight ticks. A hit an eighth before a
# chord change plays the coming chord (an anticipation, the "push").
_Figure = tuple[tuple[int, int], ...]
_SWING_COMPS: tuple[_Figure, ...] = (
    ((0, 360), (720, 240)),  # Charleston: 1 and the "and" of 2
    ((240, 240), (960, 480)),  # "and" of 1, 3
    ((0, 480), (1680, 240)),  # 1, push into the next bar
    ((720, 240), (1680, 240)),  # "and" of 2, push
    ((480, 240), (1440, 240)),  # 2 and 4
    ((240, 240), (1200, 240), (1680, 240)),  # the "and"s of 1, 3 and 4
    ((0, 900),),  # one held chord
    ((240, 360),),  # just the "and" of 1: leave space
    ((960, 240), (1680, 240)),  # 3 and the push
)
# Bossa: a two-bar clave-like figure on the piano (1, "and" of 2, 4 | 2, "and" of 3), and the same
# onsets on the cross-stick.
_BOSSA_COMP: tuple[_Figure, _Figure] = (
    ((0, 360), (720, 240), (1440, 240)),
    ((480, 240), (1200, 360)),
)
_BOSSA_STICK = ((0, 720, 1440), (480, 1200))

# Lead / piano / bass loudness per style, so the lead sits on top of the band.
_LEAD_BOOST = {"swing": 8, "ballad": 0, "bossa": 4}  # added to the composer's 100 / 86
# FluidR3's jazz guitar alone peaks ~7 dB above the other leads at the same velocity and is ~3 dB louder
# (RMS); 20 less puts it among them (-17.4 dB RMS alone against the others' -14.6..-21.9 dB, 8 bars, 3 seeds)
_LEAD_VELOCITY_OFFSET = {"jazz guitar": -20}
_PIANO_VELOCITY = {"swing": 66, "ballad": 56, "bossa": 62}
_BASS_VELOCITY = {"swing": 84, "ballad": 78, "bossa": 82}

_Note = tuple[int, int, int, int]  # (start tick, end tick, MIDI pitch, velocity)


class ArrangeError(InputError):
    """Arrangement options (or a piece) that cannot be arranged; the message lists what works."""


@dataclass(frozen=True, slots=True)
class ArrangeOptions:
    """How to arrange a piece. ``swing`` None: the style's default; ``seed`` None: the piece's seed.

    Style and lead names are matched case-insensitively and stored in lower case.
    """

    style: str = "swing"
    lead: str = "tenor sax"
    swing: float | None = None
    count_in: bool = False
    ending: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", _choice("style", self.style, STYLES))
        object.__setattr__(self, "lead", _choice("lead instrument", self.lead, tuple(LEAD_INSTRUMENTS)))
        swing = self.swing
        if swing is not None and (
            isinstance(swing, bool)
            or not isinstance(swing, int | float)
            or not MIN_SWING <= swing <= MAX_SWING  # also refuses NaN
        ):
            raise ArrangeError(
                f"swing must be a number from {MIN_SWING} (straight eighths) to {MAX_SWING} "
                f"(dotted eighth + sixteenth), e.g. 0.62 for a medium swing; not {swing!r}."
            )
        for name in ("count_in", "ending"):
            if not isinstance(getattr(self, name), bool):
                raise ArrangeError(f"{name} must be true or false, not {getattr(self, name)!r}.")
        seed = self.seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            raise ArrangeError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")

    @property
    def swing_ratio(self) -> float:
        """Where the off-beat eighth falls, as a fraction of the beat (0.5 = straight)."""
        return DEFAULT_SWING[self.style] if self.swing is None else float(self.swing)


def _choice(what: str, value: object, allowed: tuple[str, ...]) -> str:
    name = value.strip().lower() if isinstance(value, str) else ""
    if name not in allowed:
        raise ArrangeError(f"{what} must be one of {', '.join(allowed)}; not {value!r}.")
    return name


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """One instrument track of an arrangement (``program`` on channel 9 is the GM2 drum kit)."""

    name: str
    program: int
    channel: int
    notes: int


@dataclass(frozen=True, slots=True)
class Arrangement:
    """The MIDI file, its exact length to the last note-off, its tracks and the options used.

    ``options`` has ``seed`` and ``swing`` resolved, so it reproduces this arrangement exactly.
    """

    midi: bytes
    seconds: float
    tracks: tuple[TrackInfo, ...]
    options: ArrangeOptions
    # The same MIDI as mido objects, so in-process readers (renderer, piano roll) skip parsing the
    # bytes again (~6 ms each per 16-bar clip). Read-only by convention.
    parsed: mido.MidiFile = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _Span:
    """A chord sounding from ``start`` to ``end`` (straight ticks from the first bar of the piece)."""

    symbol: ChordSymbol
    name: str
    start: int
    end: int

    @property
    def bass_class(self) -> int:
        return self.symbol.root if self.symbol.bass is None else self.symbol.bass


class _Chart:
    """The chords in time order, looked up by tick."""

    def __init__(self, spans: Sequence[_Span]) -> None:
        self.spans = tuple(spans)
        self._starts = [span.start for span in spans]

    def index_at(self, tick: int) -> int:
        return max(0, bisect_right(self._starts, tick) - 1)


def arrange(piece: Piece, options: ArrangeOptions = ArrangeOptions()) -> Arrangement:
    """``piece`` played by a lead instrument, piano, bass and drums in ``options.style``."""
    seed = piece.seed if options.seed is None else options.seed
    options = replace(options, seed=seed, swing=options.swing_ratio)
    chart = _Chart(_spans(piece, options.ending))
    length = piece.length_ticks
    style = options.style

    def rng(part: str) -> random.Random:
        return random.Random(f"{seed}/{part}")

    final = chart.spans[-1].symbol if options.ending else None
    lead = _lead(piece, options, final, rng("lead"))
    piano = _piano(chart, length, style, options.ending, rng("piano"))
    bass = _bass(chart, length, style, rng("bass"))
    drums = _drums(piece.bars, style, options.ending, rng("drums"))
    ratio = options.swing_ratio
    parts = {
        "Lead": _swung(lead, ratio, _unswingable_beats(lead)),
        "Piano": _swung(piano, ratio),
        "Bass": _swung(bass, ratio),
        "Drums": _swung(drums, ratio),
    }
    shift = TICKS_PER_BAR if options.count_in else 0
    parts = {name: _untangle(notes, shift) for name, notes in parts.items()}
    if options.count_in:
        parts["Drums"] = _count_in() + parts["Drums"]
    return _write(piece, options, chart, parts, shift)


def _spans(piece: Piece, ending: bool) -> list[_Span]:
    """The piece's chords cut to its length and made contiguous, plus the final chord when ending."""
    length = piece.length_ticks
    chords = sorted((c for c in piece.chords if c.start < length), key=lambda c: c.start)
    if not chords:
        raise ArrangeError("the piece has no chords to arrange; compose it over a progression.")
    ends = [c.start for c in chords[1:]] + [length]
    spans = [_Span(c.symbol, c.name, c.start, end) for c, end in zip(chords, ends, strict=True)]
    if ending:
        last = chords[-1].symbol
        tonic = piece.key.tonic
        final = last if last.root == tonic else ChordSymbol(tonic, "m6" if piece.key.minor else "6")
        spans.append(_Span(final, final.name(piece.key), length, length + TICKS_PER_BAR))
    return spans


# --- timing ---------------------------------------------------------------------------------


def _swing_tick(tick: int, ratio: float) -> int:
    """Move ``tick`` so that each beat's off-beat eighth falls at ``ratio`` of the beat."""
    beat, offset = divmod(tick, BEAT)
    if offset <= EIGHTH:
        return beat * BEAT + round(offset * ratio * 2)
    return beat * BEAT + round(ratio * BEAT + (offset - EIGHTH) * (1 - ratio) * 2)


def _unswingable_beats(notes: Iterable[_Note]) -> frozenset[int]:
    """Beats holding a start or end off the straight-sixteenth grid (triplets): already swung."""
    sixteenth = BEAT // 4
    return frozenset(tick // BEAT for start, end, _, _ in notes for tick in (start, end) if tick % sixteenth)


def _swung(notes: list[_Note], ratio: float, keep: frozenset[int] = frozenset()) -> list[_Note]:
    if ratio == 0.5:
        return notes

    def move(tick: int) -> int:
        return tick if tick // BEAT in keep else _swing_tick(tick, ratio)

    out: list[_Note] = []
    for start, end, pitch, velocity in notes:
        new_start = move(start)
        out.append((new_start, max(new_start + 1, move(end)), pitch, velocity))
    return out


def _untangle(notes: list[_Note], shift: int) -> list[_Note]:
    """Notes sorted and shifted, each cut where the next note of the same pitch starts."""
    ordered = sorted(notes, key=lambda n: (n[2], n[0]))
    out: list[_Note] = []
    for i, (start, end, pitch, velocity) in enumerate(ordered):
        if i + 1 < len(ordered) and ordered[i + 1][2] == pitch:
            end = min(end, ordered[i + 1][0])
        if end > start:
            out.append((start + shift, end + shift, pitch, velocity))
    out.sort()
    return out


def _jitter(rng: random.Random, velocity: int, spread: int = 4) -> int:
    return max(1, min(127, velocity + rng.randint(-spread, spread)))


# --- lead -----------------------------------------------------------------------------------


def _lead(
    piece: Piece, options: ArrangeOptions, final: ChordSymbol | None, rng: random.Random
) -> list[_Note]:
    """The melody, moved by octaves towards the instrument's centre; ``final``: hold a tone of it."""
    length = piece.length_ticks
    sounding = [
        (n.start, min(n.end, length), n.pitch, n.velocity)
        for n in piece.melody
        if n.pitch is not None and n.start < length
    ]
    if not sounding:
        return []
    centre = _LEADS[options.lead][1]
    shift = 12 * round((centre - median(pitch for _, _, pitch, _ in sounding)) / 12)
    boost = _LEAD_BOOST[options.style] + _LEAD_VELOCITY_OFFSET.get(options.lead, 0)
    notes: list[_Note] = [
        (start, end, min(127, max(0, pitch + shift)), _jitter(rng, velocity + boost, 3))
        for start, end, pitch, velocity in sounding
    ]
    if final is not None:
        last = notes[-1][2]
        triad = _triad(final)
        pitch = min((p for p in range(last - 7, last + 8) if p % 12 in triad), key=lambda p: abs(p - last))
        notes.append((length, length + TICKS_PER_BAR - EIGHTH, pitch, 96 + boost))
    return notes


def _triad(symbol: ChordSymbol) -> frozenset[int]:
    """Root, third and fifth (or what the quality has of them) as pitch classes."""
    return frozenset((symbol.root + i) % 12 for i in QUALITIES[symbol.quality].tones[:3])


# --- piano ----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _placements(symbol: ChordSymbol) -> tuple[tuple[int, ...], ...]:
    """Both voicing forms of ``symbol`` at every octave that lies near the comping range."""
    found = []
    for form in VOICINGS[symbol.quality]:
        for octave in range(2, 7):
            pitches = tuple(symbol.root + 12 * octave + interval for interval in form)
            if pitches[0] >= PIANO_LOW - 7 and pitches[-1] <= PIANO_HIGH + 7:
                found.append(pitches)
    return tuple(found)


def _movement(a: Sequence[int], b: Sequence[int]) -> int:
    """Semitones the voices travel from voicing ``a`` to ``b``."""
    if len(a) == len(b):
        return sum(abs(x - y) for x, y in zip(a, b, strict=True))
    return sum(min(abs(x - y) for y in a) for x in b)


def _outside(pitches: Sequence[int]) -> int:
    return sum(max(0, PIANO_LOW - p) + max(0, p - PIANO_HIGH) for p in pitches)


def _voice_lead(previous: Sequence[int] | None, symbol: ChordSymbol) -> tuple[int, ...]:
    """The placement of ``symbol`` that moves least from ``previous`` and stays in range."""
    centre = (PIANO_LOW + PIANO_HIGH) / 2

    def cost(pitches: tuple[int, ...]) -> float:
        if previous is None:
            return abs(sum(pitches) / len(pitches) - centre) + 4 * _outside(pitches)
        return _movement(previous, pitches) + 4 * _outside(pitches)

    return min(_placements(symbol), key=cost)


def _voicings(chart: _Chart) -> list[tuple[int, ...]]:
    voicings: list[tuple[int, ...]] = []
    for span in chart.spans:
        voicings.append(_voice_lead(voicings[-1] if voicings else None, span.symbol))
    return voicings


def _comp_hits(length: int, style: str, ending: bool, rng: random.Random) -> list[tuple[int, int]]:
    """(tick, length) of every comping hit in the piece's bars, before chords are assigned."""
    hits: list[tuple[int, int]] = []
    bars = length // TICKS_PER_BAR
    for bar in range(bars):
        if style == "bossa":
            figure = _BOSSA_COMP[bar % 2]
        else:
            last = ending and bar == bars - 1  # the final chord is held, not pushed
            figure = rng.choice([f for f in _SWING_COMPS if not (last and f[-1][0] >= 1680)])
        hits += [(bar * TICKS_PER_BAR + offset, duration) for offset, duration in figure]
    return hits


def _piano(chart: _Chart, length: int, style: str, ending: bool, rng: random.Random) -> list[_Note]:
    voicings = _voicings(chart)
    spans = chart.spans
    base = _PIANO_VELOCITY[style]
    notes: list[_Note] = []

    def play(pitches: Sequence[int], start: int, end: int, velocity: int, roll: int = 0) -> None:
        for i, pitch in enumerate(pitches):  # the top voice sings a little louder
            loud = velocity + (5 if i == len(pitches) - 1 else 0)
            notes.append((start + i * roll, end, pitch, _jitter(rng, loud, 3)))

    played = [i for i, span in enumerate(spans) if span.start < length]
    if style == "ballad":
        for i in played:
            span = spans[i]
            middle = span.start + TICKS_PER_BAR // 2
            if span.end - span.start >= TICKS_PER_BAR and rng.random() < 0.5:
                other = min(
                    (v for v in _placements(span.symbol) if v != voicings[i]),
                    key=lambda v: _movement(voicings[i], v) + 4 * _outside(v),
                )
                play(voicings[i], span.start, middle, base, roll=20)
                play(other, middle, span.end - 20, base - 6)
            else:
                play(voicings[i], span.start, span.end - 20, base, roll=20)
    else:
        covered: set[int] = set()
        for tick, duration in _comp_hits(length, style, ending, rng):
            index = chart.index_at(tick)
            if index + 1 < len(spans) and spans[index + 1].start - tick <= EIGHTH:
                index += 1  # anticipation: the push plays the coming chord
            covered.add(index)
            accent = 6 if tick % BEAT else 0
            play(voicings[index], tick, min(tick + duration, spans[index].end), base + accent)
        for i in played:
            if i not in covered:  # a short chord the figure skipped: play it on its first beat
                play(voicings[i], spans[i].start, min(spans[i].start + 360, spans[i].end), base)
    if ending:
        play(voicings[-1], length, length + TICKS_PER_BAR - EIGHTH, base + 4, roll=25)
    return notes


# --- bass -----------------------------------------------------------------------------------


def _place_root(span: _Span, near: int | None) -> int:
    """The bass's root for ``span``: near the previous root, pulled towards the middle of the range."""
    home = 38
    reference = home if near is None else near
    candidates = [p for p in range(BASS_LOW, BASS_ROOT_HIGH + 1) if p % 12 == span.bass_class]
    return min(candidates, key=lambda p: abs(p - reference) + 0.4 * abs(p - home))


def _fifth(symbol: ChordSymbol) -> int:
    """Interval of the chord's fifth (diminished or augmented when that is what it has)."""
    tones = QUALITIES[symbol.quality].tones
    return next((i for i in (7, 6, 8) if i in tones), 7)


def _approach(target: int, span: _Span, near: int, repeat_ok: bool, rng: random.Random) -> int:
    """A note leading into ``target``: a semitone below or above, a scale step above, or the fifth;
    the closer to ``near`` (where the line is) the likelier."""
    scale = span.symbol.scale
    step_above = next((p for p in (target + 1, target + 2) if p % 12 in scale), target + 2)
    fifth = target + 7 if target + 7 <= BASS_HIGH else target - 5
    options = [(target - 1, 3.0), (target + 1, 2.5), (step_above, 1.5), (fifth, 1.0)]
    usable = [
        (p, w / (1 + abs(p - near) / 7))
        for p, w in options
        if BASS_LOW <= p <= BASS_HIGH and p != target and (repeat_ok or p != near)
    ]
    pitches, weights = zip(*usable, strict=True)
    return rng.choices(pitches, weights)[0]


def _walk_tone(
    span: _Span, previous: int, ideal: float, strong: bool, avoid: int | None, rng: random.Random
) -> int:
    """A chord tone (strong beats) or scale tone near ``ideal``, never a repeat of ``previous``."""
    tones, scale = span.symbol.tones | {span.bass_class}, span.symbol.scale
    allowed = tones if strong else scale
    for reach in (4, 7, 12):
        candidates = [
            p
            for p in range(max(BASS_LOW, round(ideal) - reach), min(BASS_HIGH, round(ideal) + reach) + 1)
            if p % 12 in allowed and p not in (previous, avoid)
        ]
        if candidates:
            break
    weights = [(1.5 if p % 12 in tones else 1.0) / (1 + abs(p - ideal)) ** 2 for p in candidates]
    return rng.choices(candidates, weights)[0]


def _bass_slots(span: _Span, style: str, has_next: bool, rng: random.Random) -> list[int]:
    """Onsets of the bass notes in ``span``: every beat (swing) or beats 1 and 3 (ballad two-feel)."""
    beats = range(span.start, span.end, BEAT)
    if style == "swing":
        return list(beats)
    slots = [t for t in beats if t == span.start or t % (TICKS_PER_BAR // 2) == 0]
    if has_next and span.end - span.start >= TICKS_PER_BAR and rng.random() < 0.4:
        slots.append(span.end - BEAT)  # a quarter-note approach into the next chord
    return slots


def _walk(span: _Span, root: int, target: int | None, slots: list[int], rng: random.Random) -> list[int]:
    """Pitches for ``slots``: the root first, then a line towards the next chord's root ``target``,
    ending on an approach note when the last slot is a quarter note before the change."""
    pitches = [root]
    if len(slots) == 1:
        return pitches
    approach = None
    if target is not None and span.end - slots[-1] <= BEAT:
        approach = _approach(target, span, root, len(slots) > 2, rng)
    goal = approach if approach is not None else target if target is not None else root
    middle = len(slots) - 1 - (approach is not None)
    arch = 0.0
    if abs(goal - root) < 5:  # going nowhere: walk up and back (or down and back)
        arch = 5.0 if root + 5 <= BASS_HIGH and (root - 5 < BASS_LOW or rng.random() < 0.6) else -5.0
    for k in range(1, middle + 1):
        ideal = root + (goal - root) * k / (middle + 1) + arch * math.sin(math.pi * k / (middle + 1))
        strong = slots[k] % (TICKS_PER_BAR // 2) == 0
        avoid = approach if k == middle else None
        pitches.append(_walk_tone(span, pitches[-1], ideal, strong, avoid, rng))
    if approach is not None:
        pitches.append(approach)
    return pitches


def _bossa_line(span: _Span, root: int, target: int | None) -> list[_Note]:
    """Root on 1, fifth on 3, each anticipated by an eighth on the "and" before (the next chord's root)."""
    interval = _fifth(span.symbol)
    fifth = root + interval if root + interval <= BASS_HIGH else root + interval - 12
    velocity = _BASS_VELOCITY["bossa"]
    notes: list[_Note] = []
    halves = list(range(span.start, span.end, TICKS_PER_BAR // 2))
    for h in halves:
        pitch = root if h == span.start else fifth
        end = min(h + TICKS_PER_BAR // 2, span.end)
        if end - h < TICKS_PER_BAR // 2:
            notes.append((h, end - 20, pitch, velocity))
            continue
        following = fifth if end < span.end else target if target is not None else pitch
        notes.append((h, h + 3 * EIGHTH - 20, pitch, velocity))
        notes.append((h + 3 * EIGHTH, end - 20, following, velocity - 10))
    return notes


def _bass(chart: _Chart, length: int, style: str, rng: random.Random) -> list[_Note]:
    spans = chart.spans
    notes: list[_Note] = []
    root = _place_root(spans[0], None)
    velocity = _BASS_VELOCITY[style]
    for i, span in enumerate(spans):
        following = spans[i + 1] if i + 1 < len(spans) else None
        target = _place_root(following, root) if following is not None else None
        if span.start >= length:  # the final chord: the root, held
            notes.append((span.start, span.end - EIGHTH, root, velocity))
        elif style == "bossa":
            notes += _bossa_line(span, root, target)
        else:
            slots = _bass_slots(span, style, target is not None, rng)
            pitches = _walk(span, root, target, slots, rng)
            for k, (tick, pitch) in enumerate(zip(slots, pitches, strict=True)):
                end = slots[k + 1] if k + 1 < len(slots) else span.end
                accent = 4 if tick % (TICKS_PER_BAR // 2) == 0 else 0
                notes.append((tick, end - 30, pitch, _jitter(rng, velocity + accent, 3)))
        if target is not None:
            root = target
    return notes


# --- drums ----------------------------------------------------------------------------------


def _drums(bars: int, style: str, ending: bool, rng: random.Random) -> list[_Note]:
    """The drum part bar by bar; drum notes are short hits except the brush swirls."""
    hits: list[tuple[int, int, int, int]] = []  # (tick, key, velocity, length)

    def hit(tick: int, key: int, velocity: int, length: int = 120) -> None:
        hits.append((tick, key, _jitter(rng, velocity), length))

    for bar in range(bars):
        at = bar * TICKS_PER_BAR
        if style == "swing":
            for offset, velocity in ((0, 70), (480, 82), (720, 62), (960, 70), (1440, 82), (1680, 62)):
                hit(at + offset, CRASH if bar == 0 and offset == 0 else RIDE, velocity)
            for beat in range(4):
                hit(at + beat * BEAT, KICK, 28)  # feathered
            hit(at + 480, PEDAL_HAT, 62)
            hit(at + 1440, PEDAL_HAT, 62)
            for offset in rng.sample((240, 720, 1200, 1440, 1680), rng.choice((0, 1, 1, 2))):
                hit(at + offset, SNARE, rng.randint(34, 50))  # comping on the snare
            if bar % 4 == 3 and bar + 1 < bars and rng.random() < 0.5:
                hit(at + 1680, KICK, 62)  # set up the next phrase ...
                hit(at + TICKS_PER_BAR, CRASH, 60)  # ... and catch it
        elif style == "ballad":
            hit(at, BRUSH_SWIRL, 46, 900)
            hit(at + 960, BRUSH_SWIRL, 42, 900)
            hit(at + 480, SNARE, 44)
            hit(at + 1440, SNARE, 48)
            hit(at + 480, PEDAL_HAT, 40)
            hit(at + 1440, PEDAL_HAT, 40)
            hit(at, KICK, 30)
            if rng.random() < 0.3:
                hit(at + 1680, SNARE, 30)
        else:
            for offset in range(0, TICKS_PER_BAR, EIGHTH):
                hit(at + offset, CLOSED_HAT, 54 if offset % BEAT == 0 else 42)
            for offset in _BOSSA_STICK[bar % 2]:
                hit(at + offset, SIDE_STICK, 62)
            for offset, velocity in ((0, 62), (720, 42), (960, 62), (1680, 42)):
                hit(at + offset, KICK, velocity)
    if ending:
        end = bars * TICKS_PER_BAR
        hit(end, CRASH, 84, TICKS_PER_BAR)
        hit(end, KICK, 70)
    return [(tick, tick + length, key, velocity) for tick, key, velocity, length in hits]


def _count_in() -> list[_Note]:
    """Four hi-hat clicks in the bar before the music, on the straight beats (not swung)."""
    return [(beat * BEAT, beat * BEAT + 120, CLOSED_HAT, 90 if beat == 0 else 74) for beat in range(4)]


# --- MIDI -----------------------------------------------------------------------------------


def _track(name: str, channel: int, program: int, notes: list[_Note], end: int) -> mido.MidiTrack:
    events = sorted(
        [(start, 1, pitch, velocity) for start, _, pitch, velocity in notes]
        + [(stop, 0, pitch, 0) for _, stop, pitch, _ in notes]
    )
    track = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name=name, time=0),
            mido.Message("program_change", channel=channel, program=program, time=0),
            mido.Message("control_change", channel=channel, control=10, value=_PAN[name], time=0),
        ]
    )
    now = 0
    for tick, on, pitch, velocity in events:
        kind = "note_on" if on else "note_off"
        # skip_checks: every value is in range by construction, and the checks cost ~3 ms per clip
        track.append(
            mido.Message(
                kind, skip_checks=True, channel=channel, note=pitch, velocity=velocity, time=tick - now
            )
        )
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    return track


def _write(
    piece: Piece, options: ArrangeOptions, chart: _Chart, parts: dict[str, list[_Note]], shift: int
) -> Arrangement:
    end = max((stop for notes in parts.values() for _, stop, _, _ in notes), default=shift)
    tempo = mido.bpm2tempo(piece.tempo)  # whole microseconds per beat, as players will read it
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name=f"jazzbot {piece.key.name} {options.style}", time=0),
            mido.MetaMessage("set_tempo", tempo=tempo, time=0),
            mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
        ]
    )
    now = 0
    for span in chart.spans:
        conductor.append(mido.MetaMessage("marker", text=span.name, time=span.start + shift - now))
        now = span.start + shift
    conductor.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    layout = {
        "Lead": (LEAD_CHANNEL, LEAD_INSTRUMENTS[options.lead]),
        "Piano": (PIANO_CHANNEL, PIANO_PROGRAM),
        "Bass": (BASS_CHANNEL, BASS_PROGRAM),
        "Drums": (DRUM_CHANNEL, DRUM_KITS[options.style]),
    }
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER)
    midi.tracks.append(conductor)
    tracks = []
    for name, (channel, program) in layout.items():
        midi.tracks.append(_track(name, channel, program, parts[name], end))
        tracks.append(TrackInfo(name, program, channel, len(parts[name])))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    seconds = mido.tick2second(end, TICKS_PER_QUARTER, tempo)
    return Arrangement(buffer.getvalue(), seconds, tuple(tracks), options, midi)
