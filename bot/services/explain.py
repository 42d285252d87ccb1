"""Why a clip sounds the way it does: its chart, how it was played and a few plain figures beside real
solos'.

The figures are :func:`model.reference_figures.measure` (the functions ``python -m model.evaluate`` uses)
on the clip's lead line and chords as read back from its stored MIDI (:func:`model.clip_reading.
read_arrangement`): the lead as it sounds, over the chords of the conductor's markers. The real solos'
values are the committed table of :mod:`model.reference_figures` (mean and quartiles of 16-bar chunks of
held-out WJazzD solos); each figure gets a one-line reading from where the clip falls against the
quartiles. A clip is measured in its own meter (the MIDI's time signature: a waltz's notes held over a
bar line count its 3/4 bar lines) and set beside real solos in that meter: a waltz beside the table of
WJazzD's 3/4 solos (:func:`model.reference_figures.reference_for`; only 8 solos, which the view says).
Both adapters show an
:class:`Explanation` (Discord: the "Why?" button; console: ``/why``), and a challenge's entries list
shows :func:`compact_figures` beside the votes, for information only.

Reading and measuring a clip is pure Python on bytes that never change, so it runs in a worker thread
and is cached per MIDI file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.services.challenges import ChallengeService
from bot.store.challenges import Entry
from bot.store.clips import ClipStore, StoredClip
from model.errors import InputError
from model.meter import meter_name
from model.reference_figures import CLIP_FIGURES, Reference, ReferenceTable, measure, reference_for
from model.tunes import describe, tunes

log = logging.getLogger(__name__)

CACHED_CLIPS = 256


@dataclass(frozen=True, slots=True)
class Words:
    """How the view names a figure and reads it: below, within and above the real solos' middle half."""

    name: str
    low: str
    typical: str
    high: str


WORDS: dict[str, Words] = {
    "chord_tones": Words(
        "Notes on chord tones",
        "often between the chord tones: more tension than a real solo",
        "leans on chord tones about as much as a real solo",
        "sits on chord tones a lot, like a tune's melody more than a solo",
    ),
    "chord_or_scale_tones": Words(
        "Notes on chord or scale tones",
        "often outside the chord's scale: more chromatic than a real solo",
        "stays inside the chord's scale about as often as a real solo",
        "hardly ever leaves the chord's scale: safer than a real solo",
    ),
    "motif_exact": Words(
        "Motifs that come back (same intervals)",
        "rarely repeats a 4-note idea: it keeps wandering",
        "repeats its ideas about as much as a real solo",
        "repeats its ideas more than a real solo: riff-like",
    ),
    "motif_contour": Words(
        "Motifs that come back (same shape)",
        "few shapes return: less developed than a real solo",
        "develops its shapes about as much as a real solo",
        "returns to the same shapes more than a real solo",
    ),
    "range": Words(
        "Range",
        "stays in a narrower register than most real solos",
        "covers about the register of a real solo",
        "spans a wider register than most real solos",
    ),
    "repeated_notes": Words(
        "Repeated notes",
        "hardly ever plays the same note twice in a row",
        "repeats a note about as often as a real solo",
        "plays the same note twice in a row more than real solos do",
    ),
    "held_over": Words(
        "Notes held over the bar line",
        "hardly ever ties over the bar line: its phrases stop at the bar",
        "ties over the bar line about as often as a real solo",
        "ties over the bar line more than a real solo",
    ),
}
COMPACT = ("chord_tones", "motif_exact", "range")
"""The figures of an entries-list line: chord tones, motif reuse, range."""
_COMPACT_NAMES = {"chord_tones": "chord tones", "motif_exact": "motif reuse", "range": "range"}
_UNITS = {figure.key: figure.unit for figure in CLIP_FIGURES}


def shown(key: str, value: float) -> str:
    """A figure as the views write it: a share in whole percent, a range in semitones."""
    if _UNITS[key] == "share":
        return f"{value * 100:.0f}%"
    return f"{value:.0f} semitones"


def reading(key: str, value: float, reference: Reference) -> str:
    """The one-line plain reading of ``value`` against the real solos' quartiles."""
    words = WORDS[key]
    if value < reference.low:
        return words.low
    if value > reference.high:
        return words.high
    return words.typical


@dataclass(frozen=True, slots=True)
class FigureLine:
    name: str
    value: str  # "62%"
    real: str  # "about 50%"
    reading: str


@dataclass(frozen=True, slots=True)
class Measured:
    """What a clip's MIDI says: tempo, key (None when unnamed), meter and the figures by key."""

    tempo: int
    key: str | None
    figures: tuple[tuple[str, float], ...]
    beats_per_bar: int = 4


@lru_cache(maxsize=CACHED_CLIPS)
def measure_clip(midi: bytes) -> Measured:
    """The clip's MIDI read back and measured (see the module doc); InputError if it cannot be read.

    The reader comes with ``model.evaluate``'s modules (~50-100 ms to import), so they load here, in a
    worker thread on the first "Why?", not when the bot starts."""
    from model.clip_reading import read_arrangement

    clip = read_arrangement(midi)
    figures = measure(clip.sample, clip.beats_per_bar)
    return Measured(clip.tempo, clip.key, tuple(figures.items()), clip.beats_per_bar)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything the "Why?" view shows about one clip."""

    clip_id: int
    headline: str  # "16 bars of swing in Bb at 160 bpm"
    soloist: str  # "tenor sax, with piano, bass and drums"
    making: str  # "seed 7, temperature 1"
    tune: str | None  # "Autumn Leaves (Joseph Kosma)" for a standard or a library progression
    chart: str
    figures: tuple[FigureLine, ...]
    reference: str  # what the real solos are


def _tune(progression: str) -> str | None:
    if not progression or "|" in progression:
        return None  # a typed chart: the chart says it all
    label = "Tune" if progression in tunes() else "Changes"
    return f"{label}: {describe(progression)}"


def explanation(stored: StoredClip, measured: Measured, table: ReferenceTable) -> Explanation:
    request = stored.request
    lines = tuple(
        FigureLine(
            WORDS[figure].name,
            shown(figure, value),
            f"about {shown(figure, table.figures[figure].mean)}",
            reading(figure, value, table.figures[figure]),
        )
        for figure, value in measured.figures
    )
    key = measured.key or request.key
    in_key = f" in {key}" if key else ""
    meter = f" in {meter_name(measured.beats_per_bar)}" if measured.beats_per_bar != 4 else ""
    solos = (
        f"{table.solos} held-out solos of the Weimar Jazz Database."
        if not meter
        else f"the {table.solos} solos in {meter_name(measured.beats_per_bar)} of the Weimar Jazz Database "
        "(all it has in that meter: few, so a rough guide)."
    )
    real = (
        f"Real solos: {table.chunks} {table.bars}-bar chunks of {solos} Measured on the lead as you hear it"
        f"{meter and ' in its own bars'}, with the functions of python -m model.evaluate."
    )
    return Explanation(
        clip_id=stored.id,
        headline=f"{request.bars} bars of {request.style}{meter}{in_key} at {measured.tempo} bpm",
        soloist=f"{request.instrument}, with piano, bass and drums",
        making=f"seed {request.seed}, temperature {request.temperature:g}",
        tune=_tune(stored.progression),
        chart=stored.chart,
        figures=lines,
        reference=real,
    )


async def explain_clip(clips: ClipStore, clip_id: int, guild_id: int | None, user_id: int) -> Explanation:
    """Clip ``clip_id`` explained, if the asker can see it (:class:`~bot.store.clips.ClipNotFound`)."""
    stored = await clips.get(clip_id, guild_id, user_id)
    figures = await asyncio.to_thread(measure_clip, stored.midi)
    return explanation(stored, figures, reference_for(figures.beats_per_bar))


def explanation_text(shown_clip: Explanation) -> str:
    """The console's (plain text) version of the view."""
    lines = [
        f"Why clip #{shown_clip.clip_id} sounds like this: {shown_clip.headline}",
        f"soloist: {shown_clip.soloist} ({shown_clip.making})",
    ]
    if shown_clip.tune:
        lines.append(shown_clip.tune)
    lines.append(f"chart: {shown_clip.chart}")
    for line in shown_clip.figures:
        lines.append(f"  {line.name}: {line.value} (real solos: {line.real}) - {line.reading}")
    lines.append(shown_clip.reference)
    return "\n".join(lines)


def compact_figures(measured: Measured, table: ReferenceTable) -> str:
    """One entries-list line: chord tones, motif reuse and range, each with the real solos' mean."""
    values = dict(measured.figures)
    parts = [
        f"{_COMPACT_NAMES[key]} {shown(key, values[key])} (real ~{shown(key, table.figures[key].mean)})"
        for key in COMPACT
    ]
    return "ℹ️ " + " · ".join(parts)


async def entry_figures(challenges: ChallengeService, entries: Sequence[Entry]) -> dict[int, str]:
    """:func:`compact_figures` for each entry that is a jazzbot clip, by entry id. Uploaded MIDI files
    are left out: measuring them would mean parsing a member's file with mido, which the upload scanner
    avoids (seconds of CPU for a large one) and which has no chords to measure against. An entry whose
    clip is gone or unreadable is left out too (the list must still show)."""
    stored: dict[int, StoredClip] = {}
    for entry in entries:
        if entry.kind == "clip":
            try:
                stored[entry.id] = await challenges.entry_clip(entry)
            except InputError as error:
                log.info("no figures for entry %d: %s", entry.id, error)
    if not stored:
        return {}
    midis = {entry_id: clip.midi for entry_id, clip in stored.items()}
    return await asyncio.to_thread(_compact_lines, midis)


def _compact_lines(midis: dict[int, bytes]) -> dict[int, str]:
    lines: dict[int, str] = {}
    for entry_id, midi in midis.items():
        try:
            measured = measure_clip(midi)
            lines[entry_id] = compact_figures(measured, reference_for(measured.beats_per_bar))
        except InputError as error:
            log.info("no figures for entry %d: %s", entry_id, error)
    return lines
