"""ffmpeg's EBU R128 scanner, the reference the clips' level is checked against."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    loudness_range: float  # LU


def ebur128(data: bytes) -> Level:
    """The integrated loudness, true peak and loudness range ffmpeg's ``ebur128=peak=true`` reports for
    an audio file (any format ffmpeg reads) given as bytes."""
    command = ["ffmpeg", "-hide_banner", "-nostats", "-i", "pipe:0"]
    command += ["-af", "ebur128=peak=true", "-f", "null", "-"]
    result = subprocess.run(command, input=data, capture_output=True, check=True)
    stderr = result.stderr.decode()
    summary = stderr[stderr.rindex("Summary:") :]

    def number(pattern: str) -> float:
        found = re.search(pattern + r"\s+(-?inf|-?\d+(?:\.\d+)?)", summary)
        assert found is not None, f"no {pattern!r} in ffmpeg's summary:\n{summary}"
        return float(found.group(1))

    return Level(number(r"I:"), number(r"Peak:"), number(r"LRA:"))


def wav(pcm_bytes: bytes, sample_rate: int) -> bytes:
    """16-bit stereo PCM wrapped as a WAV file by ffmpeg, so ``ebur128`` can read it."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(sample_rate)]
    command += ["-ac", "2", "-i", "pipe:0", "-f", "wav", "pipe:1"]
    return subprocess.run(command, input=pcm_bytes, capture_output=True, check=True).stdout
