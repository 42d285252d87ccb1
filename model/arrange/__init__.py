"""A composed piece as a jazz combo in General MIDI: lead, piano comping, walking bass and drums.

:func:`arrange` turns a :class:`~model.piece.Piece` into a type-1 MIDI file with a conductor track
(tempo, the piece's time signature, a ``marker`` with the chord name at every chord) and the tracks
"Lead", "Piano", "Bass" and "Drums" (GM channel 10). It is pure Python + mido (no music21: ~0.45 s
per request) and a pure function of the piece and the options: the same seed gives the same bytes.

Each player is a module (docs/MODEL.md, "Arrangement", says why they play as they do):
:mod:`~model.arrange.lead` places the line in the instrument's range and phrases it;
:mod:`~model.arrange.piano` comps under the lead and out of its way; :mod:`~model.arrange.bass` walks;
:mod:`~model.arrange.drums` keeps time, fills at the seams of the form and plays the ending;
:mod:`~model.arrange.feel` swings the straight-grid parts by tempo, gives each player its micro-timing
and shapes the dynamics; :mod:`~model.arrange.instruments` holds programs and real ranges.
"""

from __future__ import annotations

import random
from dataclasses import replace

from model.arrange.bass import bass_part
from model.arrange.chart import TAG_BARS, ArrangeError, chart_of, tagged
from model.arrange.drums import count_in, drum_part
from model.arrange.feel import TIMING, humanize, swing_for_tempo, swung, unswingable_beats, untangle
from model.arrange.instruments import (
    BASS,
    BASS_HIGH,
    BASS_LOW,
    LEAD_INSTRUMENTS,
    LEADS,
    PIANO,
    PIANO_HIGH,
    PIANO_LOW,
    Instrument,
)
from model.arrange.lead import lead_part
from model.arrange.midi import write
from model.arrange.options import (
    DEFAULT_TEMPI,
    MAX_SWING,
    MIN_SWING,
    STYLES,
    STYLES_IN,
    Arrangement,
    ArrangeOptions,
    TrackInfo,
)
from model.arrange.piano import VOICINGS, piano_part
from model.piece import Piece

__all__ = [
    "BASS",
    "BASS_HIGH",
    "BASS_LOW",
    "DEFAULT_TEMPI",
    "LEADS",
    "LEAD_INSTRUMENTS",
    "MAX_SWING",
    "MIN_SWING",
    "PIANO",
    "PIANO_HIGH",
    "PIANO_LOW",
    "STYLES",
    "STYLES_IN",
    "TAG_BARS",
    "VOICINGS",
    "ArrangeError",
    "ArrangeOptions",
    "Arrangement",
    "Instrument",
    "TrackInfo",
    "arrange",
    "swing_for_tempo",
]


def style_in(style: str, beats_per_bar: int) -> str:
    """The style the band plays ``style`` in at ``beats_per_bar``: a swing piece in 3/4 is a jazz
    waltz; a ballad plays in either meter; bossa is 4/4 only and the waltz 3/4 only."""
    if beats_per_bar == 3 and style == "swing":
        return "waltz"
    if style not in STYLES_IN.get(beats_per_bar, ()):
        if style == "waltz":
            raise ArrangeError("the waltz is played in 3/4; compose the piece in 3/4 or pick swing.")
        played = " or ".join(STYLES_IN.get(beats_per_bar, ()))
        raise ArrangeError(f"{style} is played in 4/4; a piece in {beats_per_bar}/4 plays as {played}.")
    return style


def arrange(piece: Piece, options: ArrangeOptions = ArrangeOptions()) -> Arrangement:
    """``piece`` played by a lead instrument, piano, bass and drums in ``options.style`` (in the
    piece's meter: :func:`style_in`)."""
    seed = piece.seed if options.seed is None else options.seed
    style = style_in(options.style, piece.beats_per_bar)
    ratio = swing_for_tempo(style, piece.tempo) if options.swing is None else float(options.swing)
    options = replace(options, seed=seed, swing=ratio, style=style)
    played = tagged(piece) if options.tag else piece
    chart = chart_of(played, options.ending)

    def rng(part: str) -> random.Random:
        return random.Random(f"{seed}/{part}")

    final = chart.spans[-1].symbol if options.ending else None
    tag = played.length_ticks - piece.length_ticks  # the tag keeps the octaves its bars had
    lead, line = lead_part(played, style, options.lead, final, rng("lead"), tag)
    parts = {
        "Lead": swung(lead, ratio, unswingable_beats(lead)),
        "Piano": swung(piano_part(chart, style, options.ending, line, rng("piano")), ratio),
        "Bass": swung(bass_part(chart, style, rng("bass")), ratio),
        "Drums": swung(drum_part(chart, style, options.ending, line, rng("drums")), ratio),
    }
    shift = chart.bar if options.count_in else 0
    parts = {
        name: untangle(humanize(notes, TIMING[name], played.tempo, rng(f"{name} timing"), chart.bar), shift)
        for name, notes in parts.items()
    }
    if options.count_in:
        parts["Drums"] = count_in(played.beats_per_bar) + parts["Drums"]
    return write(played, options, chart, parts, shift)
