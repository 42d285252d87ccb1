"""ffmpeg encoding of rendered clips: decodable, audible, full length and always within the size limit."""

from __future__ import annotations

import subprocess
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.audio.encode import MIN_MAX_BYTES, EncodeError, EncodeTimeout, Format, encode, encode_stream
from bot.audio.level import TARGET_LUFS
from bot.audio.loudness import measure_file
from bot.audio.render import DEFAULT_SAMPLE_RATE, PCM, TAIL_SECONDS, Renderer
from model.compose import Composer
from model.errors import InputError
from model.midi import piece_to_midi

RATE = DEFAULT_SAMPLE_RATE
CLIP_SECONDS = 4 * 4 * 60 / 120 + TAIL_SECONDS  # 4 bars at 120 bpm plus the tail


@pytest.fixture(scope="module")
def clip() -> PCM:
    renderer = Renderer()
    try:
        return renderer.render(piece_to_midi(Composer.load().compose(bars=4, tempo=120, seed=1)))
    finally:
        renderer.close()


def _decode(data: bytes) -> PCM:
    """The file decoded back to 48 kHz int16 stereo by a separate ffmpeg run."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0"]
    command += ["-f", "s16le", "-ar", str(RATE), "-ac", "2", "pipe:1"]
    result = subprocess.run(command, input=data, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<i2").reshape(-1, 2)


def _dbfs(pcm: PCM) -> float:
    return float(20 * np.log10(np.max(np.abs(pcm.astype(np.int32))) / 32767))


def _rms(pcm: PCM) -> float:
    return float(np.sqrt(np.mean((pcm.astype(np.float64) / 32767) ** 2)))


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_encoded_clip_decodes_full_length_at_the_level_it_was_rendered(clip: PCM, fmt: Format) -> None:
    data = encode(clip, RATE, fmt)
    assert data.startswith(b"OggS" if fmt == "ogg" else (b"ID3", b"\xff\xfb", b"\xff\xf3"))
    decoded = _decode(data)
    assert len(decoded) / RATE == pytest.approx(CLIP_SECONDS, abs=0.1)
    level = measure_file(data)
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0
    assert _dbfs(decoded) < 0.0


@pytest.mark.parametrize(("fmt", "max_bytes"), [("ogg", 40_000), ("ogg", 12_000), ("mp3", 30_000)])
def test_size_guard_lowers_the_bitrate_until_the_clip_fits(clip: PCM, fmt: Format, max_bytes: int) -> None:
    assert len(encode(clip, RATE, fmt)) > max_bytes  # the default bitrate would not fit
    data = encode(clip, RATE, fmt, max_bytes=max_bytes)
    assert len(data) <= max_bytes
    decoded = _decode(data)
    assert len(decoded) / RATE == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert _rms(decoded) > 0.02


def test_an_impossible_limit_shortens_the_clip_instead_of_failing(clip: PCM) -> None:
    data = encode(clip, RATE, "ogg", max_bytes=5_000)  # 10 s at Opus's lowest bitrate needs ~7.5 kB
    assert len(data) <= 5_000
    assert 0 < len(_decode(data)) < len(clip)


def test_a_limit_below_the_minimum_is_a_clear_error(clip: PCM) -> None:
    with pytest.raises(EncodeError, match="too small"):
        encode(clip, RATE, max_bytes=MIN_MAX_BYTES - 1)


def test_missing_ffmpeg_names_the_debian_package(clip: PCM) -> None:
    with pytest.raises(EncodeError, match="apt install ffmpeg"):
        encode(clip, RATE, ffmpeg="/nonexistent/ffmpeg")


def test_mono_pcm_is_refused_with_a_clear_error(clip: PCM) -> None:
    with pytest.raises(EncodeError, match="stereo"):
        encode(clip[:, 0], RATE)


def test_streamed_blocks_encode_like_the_whole_clip(clip: PCM) -> None:
    blocks = (clip[start : start + 4000] for start in range(0, len(clip), 4000))
    encoded = encode_stream(blocks, len(clip), RATE, "ogg")
    assert encoded.frames == len(clip)
    assert len(_decode(encoded.data)) / RATE == pytest.approx(CLIP_SECONDS, abs=0.1)


def test_a_failing_producer_stops_the_encoder_and_its_error_comes_through(clip: PCM) -> None:
    def failing() -> Iterator[PCM]:
        yield clip[:4000]
        raise InputError("the renderer gave up")

    with pytest.raises(InputError, match="gave up"):
        encode_stream(failing(), len(clip), RATE)


def test_the_encoder_keeps_no_pcm_once_it_is_written(clip: PCM) -> None:
    """Blocks are dropped as soon as ffmpeg has them: a long clip's PCM is never held whole."""
    alive: list[int] = []
    handed: list[weakref.ref[PCM]] = []

    def blocks() -> Iterator[PCM]:
        for start in range(0, len(clip), 2000):
            alive.append(sum(ref() is not None for ref in handed))
            block = clip[start : start + 2000].copy()  # a fresh array each time, as the renderer gives
            handed.append(weakref.ref(block))
            yield block
            del block

    encoded = encode_stream(blocks(), len(clip), RATE, "ogg")
    assert encoded.frames == len(clip) and len(handed) > 20
    assert max(alive) <= 1  # the block being written, and none of the ones before it


def test_a_size_guard_re_encode_needs_no_pcm_either(clip: PCM) -> None:
    handed: list[weakref.ref[PCM]] = []

    def blocks() -> Iterator[PCM]:
        for start in range(0, len(clip), 2000):
            block = clip[start : start + 2000].copy()
            handed.append(weakref.ref(block))
            yield block

    encoded = encode_stream(blocks(), len(clip), RATE, "ogg", max_bytes=12_000)  # forces a re-encode
    assert len(encoded.data) <= 12_000 and encoded.kbps < 96
    assert all(ref() is None for ref in handed)
    assert len(_decode(encoded.data)) / RATE == pytest.approx(CLIP_SECONDS, abs=0.1)


def test_a_hung_ffmpeg_is_killed_at_the_timeout(clip: PCM, tmp_path: Path) -> None:
    hung = tmp_path / "ffmpeg"
    hung.write_text("#!/bin/sh\nexec sleep 60\n")  # reads nothing, writes nothing, never ends
    hung.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(EncodeTimeout, match=r"within 0\.5 s"):
        encode(np.tile(clip, (20, 1)), RATE, ffmpeg=str(hung), timeout=0.5)  # more than the pipe holds
    assert time.monotonic() - started < 5.0


def test_a_producer_that_stalls_runs_into_the_timeout_too(clip: PCM) -> None:
    def stalling() -> Iterator[PCM]:
        yield clip[:4000]
        time.sleep(1.0)  # a render stuck past the deadline
        yield clip[4000:8000]

    with pytest.raises(EncodeTimeout):
        encode_stream(stalling(), 8000, RATE, timeout=0.3)


def test_a_timeout_that_is_not_reached_changes_nothing(clip: PCM) -> None:
    assert len(_decode(encode(clip, RATE, timeout=60.0))) / RATE == pytest.approx(CLIP_SECONDS, abs=0.1)
