"""16-bit stereo PCM to an OGG/Opus or MP3 file with an ffmpeg subprocess, always within a size limit.

PCM goes to ffmpeg's stdin and the file comes back on stdout, so nothing touches the disk. The size
guard first picks a bitrate the duration allows, then lowers it until the file fits; at the codec's
lowest bitrate it shortens the audio instead, so an upload never fails for size.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from model.errors import InputError

FFMPEG_PACKAGE = "ffmpeg"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MIN_MAX_BYTES = 4096  # below this even a second of audio plus the container headers cannot fit
Format = Literal["ogg", "mp3"]
_HEADROOM = 0.9  # container overhead and VBR overshoot eat into the bitrate budget


@dataclass(frozen=True)
class _Codec:
    args: tuple[str, ...]
    default_kbps: int
    min_kbps: int


_CODECS: dict[str, _Codec] = {
    "ogg": _Codec(("-c:a", "libopus", "-compression_level", "5", "-f", "ogg"), default_kbps=96, min_kbps=6),
    "mp3": _Codec(("-c:a", "libmp3lame", "-f", "mp3"), default_kbps=192, min_kbps=8),
}
_MP3_LOW_RATE = 24000  # MPEG-2 layer III: the rate where bitrates below 32 kbps exist
_OPUS_RATE = 48000  # Opus only runs at 48 kHz (and divisors); ffmpeg resamples anything else


class EncodeError(InputError):
    """ffmpeg is missing or refused the audio."""


def _ffmpeg(ffmpeg: str) -> str:
    found = shutil.which(ffmpeg)
    if found is None:
        raise EncodeError(
            f"ffmpeg was not found ({ffmpeg}); install the Debian package {FFMPEG_PACKAGE} "
            f"(apt install {FFMPEG_PACKAGE}) to encode audio clips."
        )
    return found


def _run(ffmpeg: str, pcm: npt.NDArray[np.int16], sample_rate: int, fmt: Format, kbps: int) -> bytes:
    out_rate = _OPUS_RATE if fmt == "ogg" else (sample_rate if kbps >= 32 else _MP3_LOW_RATE)
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "s16le", "-ar", str(sample_rate), "-ac", "2", "-i", "pipe:0",
        "-ar", str(out_rate), "-b:a", f"{kbps}k", *_CODECS[fmt].args, "pipe:1",
    ]  # fmt: skip
    result = subprocess.run(command, input=np.ascontiguousarray(pcm, "<i2").tobytes(), capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise EncodeError(f"ffmpeg could not encode the clip: {message[-1] if message else 'no message'}")
    return result.stdout


def encode(
    pcm: npt.NDArray[np.int16],
    sample_rate: int,
    fmt: Format = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    ffmpeg: str = "ffmpeg",
) -> bytes:
    """``pcm`` (int16 frames of shape (n, 2)) as an OGG/Opus or MP3 file of at most ``max_bytes`` bytes."""
    if fmt not in _CODECS:
        raise EncodeError(f"unknown audio format {fmt!r}; use one of {', '.join(_CODECS)}.")
    if pcm.ndim != 2 or pcm.shape[1] != 2:
        raise EncodeError(f"expected stereo PCM of shape (frames, 2), got shape {pcm.shape}.")
    if max_bytes < MIN_MAX_BYTES:
        raise EncodeError(
            f"a size limit of {max_bytes:,} bytes is too small; use at least {MIN_MAX_BYTES:,}."
        )
    binary = _ffmpeg(ffmpeg)
    codec = _CODECS[fmt]
    seconds = max(len(pcm) / sample_rate, 0.1)
    budget_kbps = int(max_bytes * 8 * _HEADROOM / seconds / 1000)
    kbps = max(codec.min_kbps, min(codec.default_kbps, budget_kbps))
    while True:
        data = _run(binary, pcm, sample_rate, fmt, kbps)
        if len(data) <= max_bytes or len(pcm) <= 1:
            return data
        if kbps > codec.min_kbps:
            kbps = max(codec.min_kbps, int(kbps * max_bytes / len(data) * _HEADROOM))
        else:
            pcm = pcm[: int(len(pcm) * max_bytes / len(data) * _HEADROOM)]
