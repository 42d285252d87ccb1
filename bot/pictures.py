"""A piano-roll PNG of a clip for a Discord embed: lead, comping and bass in their own colours.

Drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, never pyplot, so renders in
worker threads share no global state. Tracks are recognised by name: the composer's MIDI
("Melody", "Chords") and the arrangement's ("Lead", "Piano", "Bass"); drums (channel 10) carry no
pitch and are left out. Time runs in bars, chord names sit above the bar where each chord starts:
taken from the conductor track's ``marker`` events when the MIDI has them (the arrangement writes one
per chord, already shifted by a count-in), else from the chords passed in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import mido
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from model.errors import InputError
from model.midi import read_midi
from model.piece import BEATS_PER_BAR, TICKS_PER_BAR, Chord

DRUM_CHANNEL = 9
BACKGROUND = "#2b2d31"  # Discord's dark embed grey
GRID = "#4e5058"
TEXT = "#dbdee1"

# role -> (legend label, colour); a track's role comes from its name
ROLE_STYLE: dict[str, tuple[str, str]] = {
    "lead": ("Lead", "#f5a623"),
    "comping": ("Comping", "#4fc3f7"),
    "bass": ("Bass", "#81c784"),
    "other": ("Other", "#b0b0b0"),
}
TRACK_ROLES = {"melody": "lead", "lead": "lead", "chords": "comping", "piano": "comping", "bass": "bass"}

MAX_BARS = 256
DPI = 100
AXES_LEFT, AXES_WIDTH = 0.045, 0.945  # figure fractions
CHORD_ROWS = (1.01, 1.07)  # heights of the chord-name rows in axes fractions


@dataclass(frozen=True, slots=True)
class _Span:
    """One sounding note in bars (start, length) at a MIDI pitch."""

    pitch: int
    start: float
    length: float


def _role(track: mido.MidiTrack) -> str:
    return TRACK_ROLES.get(track.name.strip().lower(), "other")


def _spans(track: mido.MidiTrack, ticks_per_bar: int) -> list[_Span]:
    """Notes of one track paired note-on to note-off; drums and unterminated notes are skipped."""
    spans: list[_Span] = []
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
            start = sounding.pop(key)
            spans.append(_Span(message.note, start / ticks_per_bar, (now - start) / ticks_per_bar))
    return spans


def chord_labels(midi: mido.MidiFile, chords: Sequence[Chord]) -> list[tuple[float, str]]:
    """(bar, name) of every chord: the first track's markers if it has any, else ``chords``."""
    ticks_per_bar = midi.ticks_per_beat * BEATS_PER_BAR
    labels: list[tuple[float, str]] = []
    now = 0
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker" and message.text.strip():
            labels.append((now / ticks_per_bar, message.text.strip()))
    return labels or [(chord.start / TICKS_PER_BAR, chord.name) for chord in chords]


def _name_chords(axes: Axes, labels: Sequence[tuple[float, str]], end: float, width: int) -> None:
    """Chord names above the bar where each starts, on two staggered rows so neighbours don't collide."""
    font_size = 9 if end <= 16 else 7 if end <= 32 else 5
    bars_per_char = 0.75 * font_size * DPI / 72 / (width * AXES_WIDTH / end)
    free_from = [0.0] * len(CHORD_ROWS)  # where each row is clear again, in bars
    for start, name in labels:
        if not 0 <= start < end:
            continue
        row = next((r for r, free in enumerate(free_from) if start >= free), free_from.index(min(free_from)))
        free_from[row] = start + (len(name) + 1) * bars_per_char
        axes.text(
            start + 0.02,
            CHORD_ROWS[row],
            name,
            transform=axes.get_xaxis_transform(),
            color=TEXT,
            fontsize=font_size,
            ha="left",
            va="bottom",
        )


def piano_roll(
    midi: bytes, chords: Sequence[Chord], bars: int, *, width: int = 1200, height: int = 400
) -> bytes:
    """A ``width`` x ``height`` PNG of ``midi``'s pitched tracks with bar lines and chords named.

    Chord names come from the MIDI's chord markers when it has them (see :func:`chord_labels`), so an
    arrangement with a count-in is labelled right; otherwise from ``chords``.

    The time axis covers ``bars`` bars, or more when the MIDI runs longer (a count-in or final chord).
    Corrupt or note-less MIDI raises :class:`InputError` from :func:`model.midi.read_midi`.
    """
    if not 1 <= bars <= MAX_BARS:
        raise InputError(f"a piano roll covers 1 to {MAX_BARS} bars, not {bars}.")
    if not (200 <= width <= 4000 and 100 <= height <= 4000):
        raise InputError(f"a piano roll is 200..4000 x 100..4000 pixels, not {width}x{height}.")
    parsed = read_midi(midi)
    ticks_per_bar = parsed.ticks_per_beat * BEATS_PER_BAR
    by_role: dict[str, list[_Span]] = {}
    for track in parsed.tracks:
        spans = _spans(track, ticks_per_bar)
        if spans:
            by_role.setdefault(_role(track), []).extend(spans)
    if not by_role:
        raise InputError("the MIDI file has only drums in it; a piano roll needs pitched notes.")
    everything = [span for spans in by_role.values() for span in spans]
    end = max(float(bars), max(span.start + span.length for span in everything))
    low = min(span.pitch for span in everything) - 2
    high = max(span.pitch for span in everything) + 2

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((AXES_LEFT, 0.08, AXES_WIDTH, 0.76))
    axes.set_facecolor(BACKGROUND)
    axes.set_xlim(0, end)
    axes.set_ylim(low, high)
    for side in axes.spines.values():
        side.set_color(GRID)
    axes.tick_params(colors=TEXT, labelsize=8)
    axes.set_xticks([bar + 0.5 for bar in range(int(end))], [str(bar + 1) for bar in range(int(end))])
    axes.tick_params(axis="x", length=0)
    axes.set_ylabel("MIDI pitch", color=TEXT, fontsize=8)
    for bar in range(1, int(end) + 1):
        axes.axvline(bar, color=GRID, linewidth=0.8, zorder=1)

    handles = []
    for role in ("comping", "bass", "other", "lead"):  # the lead is drawn last, on top
        if role not in by_role:
            continue
        label, colour = ROLE_STYLE[role]
        spans = by_role[role]
        axes.barh(
            [span.pitch for span in spans],
            [span.length for span in spans],
            left=[span.start for span in spans],
            height=0.9,
            color=colour,
            linewidth=0,
            zorder=2,
        )
        handles.append(Patch(facecolor=colour, label=label))
    figure.legend(
        handles=handles[::-1],
        loc="upper right",
        ncol=len(handles),
        fontsize=8,
        frameon=False,
        labelcolor=TEXT,
    )
    _name_chords(axes, chord_labels(parsed, chords), end, width)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND)
    return buffer.getvalue()
