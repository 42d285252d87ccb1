"""How loud a clip will get, read from its MIDI before a note is rendered: a loudness plan.

A streamed clip's level is set before most of it has been heard (:mod:`bot.audio.level`), and an
arrangement builds: the band plays harder towards the end, the soloist with it. The MIDI says so in
advance, so :func:`loudness_plan` turns it into the K-weighted power each :data:`SEGMENT_SECONDS` of the
clip should have, up to one unknown factor per clip (the leveller calibrates it against what it has
measured so far): every sounding note adds ``(velocity / 127) ** 4`` (FluidSynth's default velocity
curve makes amplitude go with velocity squared) times a weight for its part, held for the note's length
on sustaining instruments (winds, strings, organs) and decaying on struck ones (piano, guitar, vibes,
bass, the kit), plus a short release after the note-off.

Fitted on 12 rendered arrangements (3 styles, 8 leads, 8/16/32 bars, each part rendered alone with
FluidR3, 2 s windows): the parts' median measured-to-plan ratios were -11.1 (bass), -12.8 (lead, sd 4 dB
between leads), -13.7 (piano) and -16.5 dB (drums); a part's windows scatter 2-3 dB around the plan
(the soundfont's samples differ by pitch). What matters is the clip's shape: from its first 30% measured
and the plan for the rest, the plan foresaw how much louder the whole clip is than that opening with an
error of sd 0.66 LU, worst 1.45 LU, where the builds were 0.7-4.6 LU (sd 0.55 and worst 1.2 on
0.1-1.8 LU builds); the leveller's calibration absorbs each lead's own level, and its fader the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import mido
import numpy as np
import numpy.typing as npt

SEGMENT_SECONDS = 0.1  # the loudness meter's segment
DRUM_CHANNEL = 9
VELOCITY_POWER = 4  # power goes with velocity^4
PITCHED_WEIGHT_DB, DRUM_WEIGHT_DB = -12.0, -16.5  # K-weighted power of one note at velocity 127
STRUCK_DECAY_SECONDS, DRUM_DECAY_SECONDS = 1.2, 0.4  # time constants of a struck note's power
RELEASE_SECONDS = 0.3
# GM programs that sustain as long as the note is held: organs 16-23, strings and ensembles 40-55,
# brass, reeds and pipes 56-79, synth leads and pads 80-95.
_SUSTAINING = frozenset((*range(16, 24), *range(40, 96)))

Powers = npt.NDArray[np.float64]


def loudness_plan(events: Iterable[tuple[float, mido.Message]], seconds: float) -> Powers:
    """The planned relative K-weighted power of each segment of a clip ``seconds`` long, from its
    channel messages as (time in seconds, message) in playing order."""
    segments = math.ceil(seconds / SEGMENT_SECONDS)
    plan = np.zeros(segments)
    centres = (np.arange(segments) + 0.5) * SEGMENT_SECONDS
    programs = [0] * 16
    sounding: dict[tuple[int, int], tuple[float, int]] = {}

    def add(channel: int, start: float, end: float, velocity: int) -> None:
        first = int(start / SEGMENT_SECONDS)
        last = min(segments, math.ceil((end + RELEASE_SECONDS) / SEGMENT_SECONDS))
        if last <= first:
            return
        weight = DRUM_WEIGHT_DB if channel == DRUM_CHANNEL else PITCHED_WEIGHT_DB
        power = 10 ** (weight / 10) * (velocity / 127) ** VELOCITY_POWER
        if channel != DRUM_CHANNEL and programs[channel] in _SUSTAINING:
            plan[first:last] += power
            return
        decay = DRUM_DECAY_SECONDS if channel == DRUM_CHANNEL else STRUCK_DECAY_SECONDS
        plan[first:last] += power * np.exp(-np.maximum(centres[first:last] - start, 0.0) / decay)

    for now, message in events:
        kind = message.type
        if kind == "program_change":
            programs[message.channel] = message.program
        elif kind == "note_on" and message.velocity > 0:
            key = (message.channel, message.note)
            if key in sounding:  # re-struck before its note-off
                start, velocity = sounding[key]
                add(message.channel, start, now, velocity)
            sounding[key] = (now, message.velocity)
        elif kind in ("note_on", "note_off"):
            held = sounding.pop((message.channel, message.note), None)
            if held is not None:
                add(message.channel, held[0], now, held[1])
    for (channel, _), (start, velocity) in sounding.items():
        add(channel, start, seconds, velocity)
    return plan
