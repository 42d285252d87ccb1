"""The look-ahead peak limiter: loud passages come down to the ceiling, quiet ones pass untouched."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from bot.audio.loudness import CEILING_DBFS, MAX_BOOST_DB, PeakLimiter, clip_gain

RATE = 48000
CEILING = 32767 * 10 ** (CEILING_DBFS / 20)


def _music(seconds: float, burst_level: float) -> npt.NDArray[np.float32]:
    """A quiet 220 Hz tone with a 50 ms burst at ``burst_level`` (full scale 1.0) every half second."""
    t = np.arange(round(seconds * RATE)) / RATE
    level = np.where((t % 0.5) < 0.05, burst_level, 0.1)
    tone = level * np.sin(2 * np.pi * 220 * t)
    return np.stack([tone, -0.8 * tone], axis=1).astype(np.float32)


def _limit(signal: npt.NDArray[np.float32], block: int) -> npt.NDArray[np.int16]:
    limiter = PeakLimiter(RATE)
    out = [limiter.process(signal[start : start + block]) for start in range(0, len(signal), block)]
    return np.concatenate([*out, limiter.flush()])


@pytest.mark.parametrize("burst_level", [1.0, 4.0, 20.0])
def test_bursts_over_full_scale_peak_at_the_ceiling_without_clipping(burst_level: float) -> None:
    out = _limit(_music(2.0, burst_level), block=12000)
    peak = np.max(np.abs(out.astype(np.int32)))
    assert CEILING * 0.97 <= peak <= CEILING + 1


def test_quiet_audio_passes_unchanged_and_in_time() -> None:
    signal = _music(1.0, burst_level=0.5)
    out = _limit(signal, block=12000)
    assert np.array_equal(out, np.rint(signal * 32767).astype(np.int16))


def test_the_gain_recovers_after_a_burst() -> None:
    out = _limit(_music(2.0, burst_level=2.0), block=12000).astype(np.float64) / 32767
    just_after = slice(round(0.05 * RATE), round(0.1 * RATE))
    later = slice(round(0.35 * RATE), round(0.45 * RATE))  # 300 ms after the first burst
    assert np.max(np.abs(out[just_after])) < 0.08  # the gain is still down right after the burst
    assert np.max(np.abs(out[later])) == pytest.approx(0.1, rel=0.02)  # and back up before the next


@pytest.mark.parametrize("block", [100, 4801])
def test_block_size_does_not_change_the_result(block: int) -> None:
    signal = _music(1.5, burst_level=4.0)
    difference = _limit(signal, block).astype(np.int32) - _limit(signal, 12000)
    assert np.max(np.abs(difference)) <= 1  # rounding aside


@pytest.mark.parametrize("preview_peak", [0.5, 1.5, 3.0])
def test_clip_gain_puts_the_preview_peak_at_the_ceiling(preview_peak: float) -> None:
    preview = _music(1.0, burst_level=preview_peak)
    gained = np.max(np.abs(preview)) * clip_gain(preview)
    assert 20 * np.log10(gained) == pytest.approx(CEILING_DBFS, abs=0.01)


def test_clip_gain_of_a_near_silent_preview_is_bounded() -> None:
    assert clip_gain(np.zeros((100, 2), np.float32)) == 1.0
    whisper = _music(1.0, burst_level=0.001) * np.float32(0.001)
    assert 20 * np.log10(clip_gain(whisper)) == pytest.approx(MAX_BOOST_DB)
