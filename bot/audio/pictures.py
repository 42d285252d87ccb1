"""A piano-roll PNG of a clip for a Discord embed: lead, comping and bass in their own colours.

Tracks are recognised by name: the composer's MIDI ("Melody", "Chords") and the arrangement's ("Lead",
"Piano", "Bass"); drums (channel 10) carry no pitch and are left out. Time runs in bars, numbered from
the first chord (a count-in bar stays unnumbered); chord names sit above the bar where each chord
starts, taken from the conductor track's ``marker`` events when the MIDI has them (the arrangement
writes one per chord, already shifted by a count-in), else from the chords passed in. The pitch axis
names every C (C4 is middle C) with a faint line across.

Speed: a picture is drawn for every clip, on the worker thread, while ffmpeg finishes the audio (see
:mod:`bot.audio.clips`), so it is painted straight into a NumPy array of palette indices: notes, lines
and the legend are axis-aligned rectangles (slice assignments), text is a FreeType mask rendered once per
string and size and cached, blended into a ramp of palette entries between the background and the text
colour, and an 8-bit palette PNG encodes much faster than an RGB one (figures, and what matplotlib took,
in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import mido
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageColor, ImageDraw, ImageFont

from model.errors import InputError
from model.midi import beats_per_bar, read_midi
from model.piece import TICKS_PER_QUARTER, Chord

DRUM_CHANNEL = 9
BACKGROUND = "#2b2d31"  # Discord's dark embed grey
GRID = "#4e5058"
OCTAVE_LINE = "#35373c"
TEXT = "#dbdee1"
MUTED_TEXT = "#949ba4"

# role -> (legend label, colour); a track's role comes from its name
ROLE_STYLE: dict[str, tuple[str, str]] = {
    "lead": ("Lead", "#f5a623"),
    "comping": ("Comping", "#4fc3f7"),
    "bass": ("Bass", "#81c784"),
    "other": ("Other", "#b0b0b0"),
}
TRACK_ROLES = {"melody": "lead", "lead": "lead", "chords": "comping", "piano": "comping", "bass": "bass"}
DRAWING_ORDER = ("comping", "bass", "other", "lead")  # the lead is painted last, on top
LEGEND_ORDER = ("lead", "comping", "bass", "other")

MAX_BARS = 256
NOTE_HEIGHT = 0.8  # in semitones: a thin gap keeps neighbouring pitches apart
PNG_COMPRESS_LEVEL = 1  # zlib level: palette PNGs are small anyway (~10 KB)
_RAMP_LEVELS = 16  # anti-aliasing steps between the background and a text colour
_MAX_CACHED_LABELS = 4096

_Indices = npt.NDArray[np.uint8]
_Spans = npt.NDArray[np.float64]  # rows of (pitch, start bar, end bar)


class _Palette:
    """The picture's colours as palette indices, with text ramps blending into the background."""

    def __init__(self) -> None:
        solid = (BACKGROUND, GRID, OCTAVE_LINE, *(colour for _, colour in ROLE_STYLE.values()))
        self.colours: list[tuple[int, int, int]] = [ImageColor.getrgb(c)[:3] for c in solid]
        self.index = {colour: n for n, colour in enumerate(solid)}
        self.ramps = {text: self._ramp(text) for text in (TEXT, MUTED_TEXT)}

    def _ramp(self, colour: str) -> _Indices:
        """Palette indices for mask values 0..255: background at 0, ``colour`` at 255."""
        low, high = np.array(self.colours[0], float), np.array(ImageColor.getrgb(colour)[:3], float)
        first = len(self.colours)
        for level in range(1, _RAMP_LEVELS + 1):
            r, g, b = np.rint(low + (high - low) * level / _RAMP_LEVELS).astype(int)
            self.colours.append((int(r), int(g), int(b)))
        steps = np.rint(np.arange(256) / 255 * _RAMP_LEVELS).astype(np.uint8)
        return np.where(steps == 0, 0, first + steps - 1).astype(np.uint8)

    def flat(self) -> list[int]:
        return [channel for colour in self.colours for channel in colour]


_PALETTE = _Palette()


class _Labels:
    """Text masks (alpha 0..255) per string and pixel size, rendered once and shared by every thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
        self._masks: dict[tuple[str, int], npt.NDArray[np.uint8]] = {}

    def mask(self, text: str, size: int) -> npt.NDArray[np.uint8]:
        key = (text, size)
        found = self._masks.get(key)
        if found is not None:
            return found
        with self._lock:  # FreeType faces are not meant for concurrent use
            font = self._fonts.get(size)
            if font is None:
                font = self._fonts[size] = ImageFont.load_default(size)  # Pillow's bundled font
            width = int(np.ceil(font.getlength(text)))
            ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (size, 0)
            image = Image.new("L", (max(width, 1), ascent + descent))
            ImageDraw.Draw(image).text((0, 0), text, font=font, fill=255)
            mask = np.asarray(image)
            mask.setflags(write=False)
            if len(self._masks) >= _MAX_CACHED_LABELS:
                self._masks.clear()
            self._masks[key] = mask
            return mask


_LABELS = _Labels()


@dataclass(frozen=True)
class _Layout:
    """Where things go on a ``width`` x ``height`` picture: the plot box and the text sizes."""

    width: int
    height: int
    end: float  # bars on the time axis
    low: float  # pitch range on the vertical axis
    high: float

    @property
    def scale(self) -> float:
        return self.height / 400

    @property
    def left(self) -> int:
        return round(40 * self.scale)

    @property
    def right(self) -> int:
        return self.width - round(12 * self.scale)

    @property
    def top(self) -> int:
        return round(62 * self.scale)

    @property
    def bottom(self) -> int:
        return self.height - round(24 * self.scale)

    def text_size(self, base: float) -> int:
        return max(8, round(base * self.scale))

    def x(self, bars: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return np.rint(self.left + np.asarray(bars) / self.end * (self.right - self.left)).astype(np.int64)

    def y(self, pitch: npt.ArrayLike) -> npt.NDArray[np.int64]:
        fraction = (np.asarray(pitch) - self.low) / (self.high - self.low)
        return np.rint(self.bottom - fraction * (self.bottom - self.top)).astype(np.int64)

    @property
    def bar_pixels(self) -> float:
        return (self.right - self.left) / self.end


class _Canvas:
    """A picture as a 2-D array of palette indices; everything painted is clipped to the picture."""

    def __init__(self, width: int, height: int) -> None:
        self.pixels: _Indices = np.zeros((height, width), np.uint8)

    def box(self, x0: int, y0: int, x1: int, y1: int, colour: str) -> None:
        """Fill the pixels x0 <= x < x1, y0 <= y < y1."""
        height, width = self.pixels.shape
        self.pixels[max(y0, 0) : min(y1, height), max(x0, 0) : min(x1, width)] = _PALETTE.index[colour]

    def text(self, text: str, size: int, x: float, y: float, colour: str = TEXT, align: str = "left") -> int:
        """Write ``text`` with its top at ``y``, starting at ``x`` (or centred on / ending at it, by
        ``align``); returns its width. Text is only ever written over the background."""
        mask = _LABELS.mask(text, size)
        mask_height, mask_width = mask.shape
        left = round(x - {"left": 0, "center": mask_width / 2, "right": mask_width}[align])
        top = round(y)
        height, width = self.pixels.shape
        x0, x1 = max(left, 0), min(left + mask_width, width)
        y0, y1 = max(top, 0), min(top + mask_height, height)
        if x0 < x1 and y0 < y1:
            visible = mask[y0 - top : y1 - top, x0 - left : x1 - left]
            region = self.pixels[y0:y1, x0:x1]
            region[...] = np.where(visible > 0, _PALETTE.ramps[colour][visible], region)
        return mask_width

    def png(self) -> bytes:
        image = Image.fromarray(self.pixels, "P")
        image.putpalette(_PALETTE.flat())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()


def _role(track: mido.MidiTrack) -> str:
    return TRACK_ROLES.get(track.name.strip().lower(), "other")


def _spans(track: mido.MidiTrack, ticks_per_bar: int) -> list[tuple[int, float, float]]:
    """(pitch, start, end) in bars of one track's notes, note-on paired with note-off; drums and
    unterminated notes are skipped."""
    spans: list[tuple[int, float, float]] = []
    sounding: dict[tuple[int, int], int] = {}
    now = 0
    for message in track:
        now += message.time
        if message.type not in ("note_on", "note_off") or message.channel == DRUM_CHANNEL:
            continue
        key = (message.channel, message.note)
        if message.type == "note_on" and message.velocity > 0:
            sounding.setdefault(key, now)
        elif key in sounding:
            spans.append((message.note, sounding.pop(key) / ticks_per_bar, now / ticks_per_bar))
    return spans


def chord_labels(midi: mido.MidiFile, chords: Sequence[Chord]) -> list[tuple[float, str]]:
    """(bar, name) of every chord: the first track's markers if it has any, else ``chords``."""
    ticks_per_bar = midi.ticks_per_beat * beats_per_bar(midi)
    labels: list[tuple[float, str]] = []
    now = 0
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker" and message.text.strip():
            labels.append((now / ticks_per_bar, message.text.strip()))
    chord_bar = TICKS_PER_QUARTER * beats_per_bar(midi)
    return labels or [(chord.start / chord_bar, chord.name) for chord in chords]


def _paint_axes(canvas: _Canvas, layout: _Layout, first_bar: int) -> None:
    """Octave lines and names, bar lines and numbers (from ``first_bar``, the first chord's), frame."""
    left, right, top, bottom = layout.left, layout.right, layout.top, layout.bottom
    size = layout.text_size(11)
    octaves = [pitch for pitch in range(int(layout.low) + 1, int(layout.high) + 1) if pitch % 12 == 0]
    for pitch, y in zip(octaves, layout.y(octaves), strict=True):
        canvas.box(left, int(y), right, int(y) + 1, OCTAVE_LINE)
        canvas.text(f"C{pitch // 12 - 1}", size, left - 6, y - size * 0.6, MUTED_TEXT, align="right")
    bars = int(np.ceil(layout.end - 1e-9))
    xs = layout.x(np.arange(bars + 1))
    for x in xs[1:-1]:
        canvas.box(int(x), top, int(x) + 1, bottom, GRID)
    number_width = len(str(bars)) * size * 0.6 + 6
    every = next(n for n in (1, 2, 4, 8, 16, 32, 64) if n * layout.bar_pixels >= number_width or n == 64)
    for bar in range(first_bar, bars):
        number = bar - first_bar + 1
        if (number - 1) % every == 0:
            middle = (xs[bar] + min(xs[bar + 1], right)) / 2
            canvas.text(str(number), size, middle, bottom + 5 * layout.scale, MUTED_TEXT, align="center")
    frame = (
        (left, top, right, top + 1),
        (left, bottom, right, bottom + 1),
        (left, top, left + 1, bottom + 1),
        (right - 1, top, right, bottom + 1),
    )
    for edge in frame:
        canvas.box(*edge, GRID)


def _paint_notes(canvas: _Canvas, layout: _Layout, notes: dict[str, _Spans]) -> None:
    for role in DRAWING_ORDER:
        if role not in notes:
            continue
        pitch, start, end = notes[role].T
        x0, x1 = layout.x(start), layout.x(end)
        x1 = np.maximum(x0 + 1, x1 - 1)  # a pixel's gap between repeated notes; never invisible
        y0, y1 = layout.y(pitch + NOTE_HEIGHT / 2), layout.y(pitch - NOTE_HEIGHT / 2)
        y1 = np.maximum(y0 + 1, y1)
        colour = ROLE_STYLE[role][1]
        for box in zip(x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(), strict=True):
            canvas.box(*box, colour)


def _paint_chords(canvas: _Canvas, layout: _Layout, labels: Sequence[tuple[float, str]]) -> None:
    """Chord names over the bar where each starts, on two staggered rows so neighbours don't collide
    (a name with no room on either row is left out), and a tick on the frame where each chord begins."""
    size = layout.text_size(13 if layout.bar_pixels >= 60 else 11 if layout.bar_pixels >= 30 else 9)
    rows = (layout.top - size * 1.5, layout.top - size * 2.9)  # nearest the plot first
    free_from = [float(layout.left)] * len(rows)  # where each row is clear again, in pixels
    for start, name in labels:
        if not 0 <= start < layout.end:
            continue
        x = int(layout.x(start))
        canvas.box(x, layout.top - round(4 * layout.scale), x + 1, layout.top, GRID)
        row = next((r for r, free in enumerate(free_from) if x >= free), None)
        if row is not None:
            left = min(x + 3, layout.width - 2 - _LABELS.mask(name, size).shape[1])  # the last stays whole
            free_from[row] = left + canvas.text(name, size, left, rows[row]) + size * 0.6


def _paint_legend(canvas: _Canvas, layout: _Layout, roles: Sequence[str]) -> None:
    """Colour swatches and names at the top right, the first role leftmost."""
    size = layout.text_size(12)
    swatch, y, x = round(size * 0.8), round(6 * layout.scale), float(layout.right)
    for role in reversed(roles):
        label, colour = ROLE_STYLE[role]
        x -= _LABELS.mask(label, size).shape[1]
        canvas.text(label, size, x, y)
        x -= swatch + 5
        top = y + round(size * 0.35)
        canvas.box(round(x), top, round(x) + swatch, top + swatch, colour)
        x -= size * 1.2


def piano_roll(
    midi: bytes | mido.MidiFile, chords: Sequence[Chord], bars: int, *, width: int = 1200, height: int = 400
) -> bytes:
    """A ``width`` x ``height`` PNG of ``midi``'s pitched tracks with bar lines and chords named.

    Chord names come from the MIDI's chord markers when it has them (see :func:`chord_labels`), so an
    arrangement with a count-in is labelled right; otherwise from ``chords``.

    Bar lines follow the MIDI's time signature (every 3 beats in a waltz). The time axis covers
    ``bars`` bars, or more when the MIDI runs longer (a count-in or final chord).
    Corrupt or note-less MIDI raises :class:`InputError` from :func:`model.midi.read_midi`.
    """
    if not 1 <= bars <= MAX_BARS:
        raise InputError(f"a piano roll covers 1 to {MAX_BARS} bars, not {bars}.")
    if not (200 <= width <= 4000 and 100 <= height <= 4000):
        raise InputError(f"a piano roll is 200..4000 x 100..4000 pixels, not {width}x{height}.")
    parsed = read_midi(midi)
    ticks_per_bar = parsed.ticks_per_beat * beats_per_bar(parsed)
    by_role: dict[str, list[tuple[int, float, float]]] = {}
    for track in parsed.tracks:
        spans = _spans(track, ticks_per_bar)
        if spans:
            by_role.setdefault(_role(track), []).extend(spans)
    if not by_role:
        raise InputError("the MIDI file has only drums in it; a piano roll needs pitched notes.")
    notes = {role: np.array(spans, np.float64) for role, spans in by_role.items()}
    pitches = np.concatenate([spans[:, 0] for spans in notes.values()])
    end = max(float(bars), max(float(spans[:, 2].max()) for spans in notes.values()))
    layout = _Layout(width, height, end, float(pitches.min()) - 2, float(pitches.max()) + 2)
    labels = chord_labels(parsed, chords)
    canvas = _Canvas(width, height)
    _paint_axes(canvas, layout, first_bar=int(labels[0][0]) if labels else 0)
    _paint_notes(canvas, layout, notes)
    _paint_chords(canvas, layout, labels)
    _paint_legend(canvas, layout, [role for role in LEGEND_ORDER if role in notes])
    return canvas.png()
