"""The level stage: a clip's loudness brought to the target from its preview and corrected while it
streams, with a slow fader, and a look-ahead limiter that holds the peaks under the ceiling."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from bot.audio.level import (
    CEILING_DBFS,
    MAX_BOOST_DB,
    MAX_RIDE_DB,
    RIDE_DB_PER_SECOND,
    TARGET_LUFS,
    Leveller,
    PeakLimiter,
)
from bot.audio.loudness import SEGMENT_SECONDS, LoudnessMeter, Powers, integrated_loudness

RATE = 32000
CEILING = 32767 * 10 ** (CEILING_DBFS / 20)
Float = npt.NDArray[np.float32]
PCM = npt.NDArray[np.int16]


def _music(seconds: float, burst_level: float) -> Float:
    """A quiet 220 Hz tone with a 50 ms burst at ``burst_level`` (full scale 1.0) every half second."""
    t = np.arange(round(seconds * RATE)) / RATE
    level = np.where((t % 0.5) < 0.05, burst_level, 0.1)
    tone = level * np.sin(2 * np.pi * 220 * t)
    return np.stack([tone, -0.8 * tone], axis=1).astype(np.float32)


def _limit(signal: Float, block: int) -> PCM:
    limiter = PeakLimiter(RATE)
    out = [limiter.process(signal[start : start + block]) for start in range(0, len(signal), block)]
    return np.concatenate([*out, limiter.flush()])


def _level(signal: Float, block: int = 8000, band_entry: int = 0, plan: Powers | None = None) -> PCM:
    leveller = Leveller(RATE, len(signal), band_entry=band_entry, plan=plan)
    out = [leveller.process(signal[start : start + block]) for start in range(0, len(signal), block)]
    return np.concatenate([*out, leveller.flush()])


def _loudness(pcm: PCM) -> float:
    meter = LoudnessMeter(RATE)
    meter.feed(pcm.astype(np.float32) / np.float32(32768))
    loudness = integrated_loudness(meter.powers)
    assert loudness is not None
    return loudness


def _band(seconds: float, level: float, seed: int = 0) -> Float:
    """Noise shaped like a band (a few tones and a noisy top) at about ``level`` full scale."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    tones = sum(np.sin(2 * np.pi * hz * t + rng.uniform(0, 6)) for hz in (110.0, 277.0, 415.0, 880.0))
    mono = level * (tones / 4 + 0.3 * rng.standard_normal(len(t)))
    return np.stack([mono, 0.9 * mono], axis=1).astype(np.float32)


@pytest.mark.parametrize("burst_level", [1.0, 4.0, 20.0])
def test_bursts_over_full_scale_peak_at_the_ceiling_without_clipping(burst_level: float) -> None:
    out = _limit(_music(2.0, burst_level), block=12000)
    peak = np.max(np.abs(out.astype(np.int32)))
    assert CEILING * 0.97 <= peak <= CEILING + 1


def test_quiet_audio_passes_the_limiter_unchanged_and_in_time() -> None:
    signal = _music(1.0, burst_level=0.5)
    out = _limit(signal, block=12000)
    assert np.array_equal(out, np.rint(signal * 32767).astype(np.int16))


def test_the_limiter_recovers_after_a_burst() -> None:
    out = _limit(_music(2.0, burst_level=2.0), block=12000).astype(np.float64) / 32767
    just_after = slice(round(0.05 * RATE), round(0.1 * RATE))
    later = slice(round(0.35 * RATE), round(0.45 * RATE))  # 300 ms after the first burst
    assert np.max(np.abs(out[just_after])) < 0.08  # the gain is still down right after the burst
    assert np.max(np.abs(out[later])) == pytest.approx(0.1, rel=0.02)  # and back up before the next


@pytest.mark.parametrize("block", [100, 4801])
def test_block_size_does_not_change_the_limiter(block: int) -> None:
    signal = _music(1.5, burst_level=4.0)
    difference = _limit(signal, block).astype(np.int32) - _limit(signal, 12000)
    assert np.max(np.abs(difference)) <= 1  # rounding aside


@pytest.mark.parametrize("level", [0.05, 0.1, 0.5, 2.0])  # the synth gives -30..-5 LUFS
def test_a_steady_clip_comes_out_at_the_target_whatever_its_level(level: float) -> None:
    signal = _band(30.0, level)
    out = _level(signal)
    assert len(out) == len(signal)
    assert _loudness(out) == pytest.approx(TARGET_LUFS, abs=0.3)
    assert np.max(np.abs(out.astype(np.int32))) <= CEILING + 1


def test_a_clip_louder_after_its_preview_is_ridden_down_to_the_target_slowly() -> None:
    signal = np.concatenate((_band(12.0, 0.05), _band(36.0, 0.1, seed=1)))  # 6 dB up after 12 s
    out = _level(signal)
    assert _loudness(out) == pytest.approx(TARGET_LUFS, abs=1.0)
    # the fader's moves: output over input level per 0.25 s, after the preview, never faster than allowed
    blocks = out[: len(signal) // 8000 * 8000].astype(np.float64).reshape(-1, 8000, 2)
    ins = signal[: len(blocks) * 8000].astype(np.float64).reshape(-1, 8000, 2) * 32768
    gain_db = 10 * np.log10(np.mean(blocks**2, axis=(1, 2)) / np.mean(ins**2, axis=(1, 2)))
    steps = np.abs(np.diff(gain_db[44:]))  # from 11 s on, away from the jump's own block
    assert np.max(steps) <= RIDE_DB_PER_SECOND * 0.25 + 0.15  # the noise's own level wobbles a little
    assert gain_db[-10] < gain_db[40] - 2  # and it did come down


def _building(plan_scale: float) -> tuple[Float, Powers]:
    """24 s of band and 12 s more 8 dB louder (a piece that builds late), and its plan: the power of
    each segment up to ``plan_scale``, as read from MIDI (its scale is unknown)."""
    soft, loud = 0.05, 0.05 * 10 ** (8 / 20)
    signal = np.concatenate((_band(24.0, soft), _band(12.0, loud, seed=1)))
    segments = round(len(signal) / RATE / SEGMENT_SECONDS)
    plan = np.where(np.arange(segments) < segments * 2 // 3, soft**2, loud**2) * plan_scale
    return signal, plan


@pytest.mark.parametrize("plan_scale", [1e-3, 1.0, 40.0])
def test_a_clip_that_builds_late_lands_on_the_target_when_the_midi_says_so(plan_scale: float) -> None:
    signal, plan = _building(plan_scale)
    assert _loudness(_level(signal, plan=plan)) == pytest.approx(TARGET_LUFS, abs=0.4)
    # without the plan the preview and the slow fader cannot catch a build this late
    assert _loudness(_level(signal)) > TARGET_LUFS + 1.0


def test_a_near_silent_clip_is_boosted_within_bounds_and_silence_stays_silent() -> None:
    whisper = _band(30.0, 1e-3)  # about -60 LUFS
    out = _level(whisper).astype(np.float64)
    gain = 20 * np.log10(np.std(out[-RATE * 5 :]) / np.std(whisper[-RATE * 5 :] * 32768))
    assert gain == pytest.approx(MAX_BOOST_DB + MAX_RIDE_DB, abs=0.5)
    assert not np.any(_level(np.zeros((RATE * 3, 2), np.float32)))


def test_the_preview_starts_where_the_band_comes_in() -> None:
    count_in = _band(4.0, 1.0)  # a loud count-in (drums alone) says little about the band's level
    band = _band(30.0, 0.1, seed=2)
    out = _level(np.concatenate((count_in, band)), band_entry=len(count_in))
    # before any correction, once the limiter has let go after the count-in
    preview = out[len(count_in) + 2 * RATE : len(count_in) + 9 * RATE]
    assert _loudness(preview) == pytest.approx(TARGET_LUFS, abs=0.3)


def test_a_clip_shorter_than_the_preview_comes_out_whole_at_the_target() -> None:
    signal = _band(3.0, 0.3)
    out = _level(signal, block=5000)
    assert len(out) == len(signal)
    assert _loudness(out) == pytest.approx(TARGET_LUFS, abs=0.3)
