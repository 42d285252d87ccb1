"""The loudness plan read from MIDI before rendering: it follows velocity, note length and the kind of
instrument, and it hears an arrangement build."""

from __future__ import annotations

import io

import mido
import numpy as np

from bot.audio.plan import SEGMENT_SECONDS, loudness_plan
from model.arrange import DEFAULT_TEMPI, ArrangeOptions, arrange
from model.compose import Composer

Events = list[tuple[float, mido.Message]]


def _events(midi: bytes) -> Events:
    """(seconds, message) for every channel message, in playing order (as the renderer reads them)."""
    events, now = [], 0.0
    for message in mido.MidiFile(file=io.BytesIO(midi)):
        now += message.time
        if not message.is_meta:
            events.append((now, message))
    return events


def _note(program: int, velocity: int, seconds: float, channel: int = 0) -> Events:
    return [
        (0.0, mido.Message("program_change", channel=channel, program=program)),
        (0.0, mido.Message("note_on", channel=channel, note=60, velocity=velocity)),
        (seconds, mido.Message("note_off", channel=channel, note=60)),
    ]


def _segment(at: float) -> int:
    return int(at / SEGMENT_SECONDS)


def test_a_held_wind_note_sustains_and_a_piano_note_decays() -> None:
    sax = loudness_plan(_note(66, 100, 3.0), 4.0)
    piano = loudness_plan(_note(0, 100, 3.0), 4.0)
    assert sax[_segment(2.5)] == sax[_segment(0.2)] > 0
    assert piano[_segment(2.5)] < piano[_segment(0.2)] / 4
    assert sax[_segment(3.8)] == piano[_segment(3.8)] == 0  # released


def test_twice_the_velocity_is_about_12_db_more_power() -> None:
    soft, loud = (loudness_plan(_note(66, velocity, 1.0), 2.0)[0] for velocity in (50, 100))
    assert 10 * np.log10(loud / soft) == np.float64(10 * np.log10(2**4))


def test_no_notes_no_plan() -> None:
    assert not np.any(loudness_plan([(0.0, mido.Message("program_change", program=66))], 2.0))


def test_the_plan_hears_the_band_build_over_a_swing_chorus(composer: Composer) -> None:
    piece = composer.compose(16, DEFAULT_TEMPI["swing"], seed=21)
    arrangement = arrange(piece, ArrangeOptions(style="swing", lead="tenor sax"))
    plan = loudness_plan(_events(arrangement.midi), arrangement.seconds)
    assert abs(len(plan) - arrangement.seconds / SEGMENT_SECONDS) < 1
    quarter = len(plan) // 4
    assert np.mean(plan[-quarter:]) > 1.5 * np.mean(plan[:quarter])  # > 1.8 dB louder at the end
