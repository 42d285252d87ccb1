"""The BS.1770 loudness meter: calibrated on a sine, equal to ffmpeg's ebur128 on rendered band clips,
gating quiet passages and silence the way the standard does, whatever the block size."""

from __future__ import annotations

import subprocess

import numpy as np
import numpy.typing as npt
import pytest

from bot.audio.loudness import LoudnessMeter, integrated_loudness, measure_file
from bot.audio.render import DEFAULT_SAMPLE_RATE, Renderer
from model.arrange import DEFAULT_TEMPI, ArrangeOptions, arrange
from model.compose import Composer

RATE = DEFAULT_SAMPLE_RATE
Float = npt.NDArray[np.float32]


def wav(pcm_bytes: bytes, sample_rate: int) -> bytes:
    """16-bit stereo PCM wrapped as a WAV file by ffmpeg, for :func:`measure_file`."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(sample_rate)]
    command += ["-ac", "2", "-i", "pipe:0", "-f", "wav", "pipe:1"]
    return subprocess.run(command, input=pcm_bytes, capture_output=True, check=True).stdout


def _sine(seconds: float, amplitude: float, hz: float = 997.0) -> Float:
    tone = amplitude * np.sin(2 * np.pi * hz * np.arange(round(seconds * RATE)) / RATE)
    return np.stack([tone, tone], axis=1).astype(np.float32)


def _measure(audio: Float, block: int = 8000) -> float | None:
    meter = LoudnessMeter(RATE)
    for start in range(0, len(audio), block):
        meter.feed(audio[start : start + block])
    return integrated_loudness(meter.powers)


def test_a_sine_at_minus_20_dbfs_on_both_channels_reads_minus_20_lufs() -> None:
    # BS.1770's calibration: a 997 Hz full-scale sine on one channel reads -3.01 LUFS, so on two, 0 LUFS
    assert _measure(_sine(5.0, 0.1)) == pytest.approx(-20.0, abs=0.05)


def test_the_block_size_does_not_change_the_reading() -> None:
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal((RATE * 6, 2)) * 0.05).astype(np.float32)
    readings = [_measure(noise, block) for block in (37, 3200, 8000, len(noise))]
    assert max(r for r in readings if r is not None) - min(r for r in readings if r is not None) < 1e-4
    assert None not in readings


def test_quiet_passages_and_silence_are_gated_out() -> None:
    loud = _sine(4.0, 0.1)
    quiet = _sine(4.0, 0.001)  # 40 dB lower: under the relative gate
    silence = np.zeros((RATE * 4, 2), np.float32)  # under the absolute gate
    clip = np.concatenate((loud, quiet, silence))
    # only the three 400 ms blocks straddling the drop count beside the loud ones, as in ffmpeg
    assert _measure(clip) == pytest.approx(-20.15, abs=0.05)
    as_pcm = np.rint(clip * 32767).astype("<i2").tobytes()
    assert _measure(clip) == pytest.approx(measure_file(wav(as_pcm, RATE)).integrated, abs=0.05)
    assert _measure(np.concatenate((quiet, loud))) == pytest.approx(-20.15, abs=0.05)
    assert _measure(silence) is None
    assert _measure(loud[:1000]) is None  # less than one 400 ms block


@pytest.mark.parametrize(("style", "lead"), [("swing", "tenor sax"), ("ballad", "flute"), ("bossa", "piano")])
def test_the_meter_agrees_with_ffmpeg_on_rendered_band_clips(
    renderer: Renderer, composer: Composer, style: str, lead: str
) -> None:
    piece = composer.compose(8, DEFAULT_TEMPI[style], seed=11)
    pcm = renderer.render(arrange(piece, ArrangeOptions(style=style, lead=lead)).midi)
    ours = _measure(pcm.astype(np.float32) / np.float32(32768))
    assert ours is not None
    assert ours == pytest.approx(measure_file(wav(pcm.tobytes(), RATE)).integrated, abs=0.1)
