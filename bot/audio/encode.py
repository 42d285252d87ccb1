"""16-bit stereo PCM to an OGG/Opus or MP3 file with an ffmpeg subprocess, always within a size limit.

PCM goes to ffmpeg's stdin and the file comes back on stdout, so nothing touches the disk.
:func:`encode_stream` takes the PCM block by block while it is still being rendered, so ffmpeg encodes
on another core meanwhile. The size guard first picks a bitrate the duration allows, then re-encodes
the kept PCM at a lower one until the file fits; at the codec's lowest bitrate it shortens the audio
instead, so an upload never fails for size.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Literal

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
    # 60 ms packets (three 20 ms CELT frames each, coded the same) cut ffmpeg's per-packet work by ~10%;
    # complexity 5 is the lowest that keeps libopus's pitch pre-filter, which tonal leads benefit from
    "ogg": _Codec(
        ("-c:a", "libopus", "-compression_level", "5", "-frame_duration", "60", "-f", "ogg"),
        default_kbps=96,
        min_kbps=6,
    ),
    "mp3": _Codec(("-c:a", "libmp3lame", "-f", "mp3"), default_kbps=192, min_kbps=8),
}
_MP3_LOW_RATE = 24000  # MPEG-2 layer III: the rate where bitrates below 32 kbps exist
_OPUS_RATE = 48000  # Opus only runs at 48 kHz (and divisors); ffmpeg resamples anything else
_PIPE_BYTES = 1 << 20  # ~5 s of 48 kHz stereo PCM may wait in the pipe

PCM = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Encoded:
    """An encoded file and what went into it (the size guard may have lowered both)."""

    data: bytes
    frames: int  # PCM frames encoded
    kbps: int  # the bitrate asked of the codec


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


def _command(ffmpeg: str, sample_rate: int, fmt: Format, kbps: int) -> list[str]:
    out_rate = _OPUS_RATE if fmt == "ogg" else (sample_rate if kbps >= 32 else _MP3_LOW_RATE)
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "s16le", "-ar", str(sample_rate), "-ac", "2", "-i", "pipe:0",
        "-ar", str(out_rate), "-b:a", f"{kbps}k", *_CODECS[fmt].args, "pipe:1",
    ]  # fmt: skip


def _failure(stderr: bytes) -> EncodeError:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return EncodeError(f"ffmpeg could not encode the clip: {lines[-1] if lines else 'no message'}")


def _drain(pipe: IO[bytes]) -> Callable[[], bytes]:
    """Read ``pipe`` to its end on a thread; the returned function waits and gives what was read."""
    chunks: list[bytes] = []
    thread = threading.Thread(target=lambda: chunks.append(pipe.read()), daemon=True)
    thread.start()

    def result() -> bytes:
        thread.join()
        return chunks[0] if chunks else b""

    return result


def _run(ffmpeg: str, blocks: Iterable[PCM], sample_rate: int, fmt: Format, kbps: int) -> bytes:
    """Feed ``blocks`` to ffmpeg as they come; threads collect its stdout and stderr meanwhile."""
    command = _command(ffmpeg, sample_rate, fmt, kbps)
    pipe = subprocess.PIPE
    with subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=pipe) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        with contextlib.suppress(OSError):  # a bigger pipe lets the producer run ahead (Linux)
            fcntl.fcntl(process.stdin, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        stdout, stderr = _drain(process.stdout), _drain(process.stderr)
        try:
            for block in blocks:
                process.stdin.write(np.ascontiguousarray(block, "<i2").data)
        except BrokenPipeError:
            pass  # ffmpeg stopped reading; the return code and its message say why
        except BaseException:
            process.kill()
            raise
        finally:
            with contextlib.suppress(OSError):  # flushing fails if ffmpeg is gone
                process.stdin.close()
            data, message = stdout(), stderr()
    if process.returncode != 0:
        raise _failure(message)
    return data


def _check(fmt: str, max_bytes: int) -> _Codec:
    if fmt not in _CODECS:
        raise EncodeError(f"unknown audio format {fmt!r}; use one of {', '.join(_CODECS)}.")
    if max_bytes < MIN_MAX_BYTES:
        raise EncodeError(
            f"a size limit of {max_bytes:,} bytes is too small; use at least {MIN_MAX_BYTES:,}."
        )
    return _CODECS[fmt]


def _first_kbps(codec: _Codec, frames: int, sample_rate: int, max_bytes: int) -> int:
    """The default bitrate, or less when the duration would not fit ``max_bytes`` at it."""
    seconds = max(frames / sample_rate, 0.1)
    return max(codec.min_kbps, min(codec.default_kbps, int(max_bytes * 8 * _HEADROOM / seconds / 1000)))


def _fit(
    data: bytes, kbps: int, pcm: PCM, sample_rate: int, fmt: Format, max_bytes: int, ffmpeg: str
) -> Encoded:
    """``data`` (``pcm`` encoded at ``kbps``) or, while it is too big, ``pcm`` re-encoded smaller."""
    codec = _CODECS[fmt]
    while len(data) > max_bytes and len(pcm) > 1:
        if kbps > codec.min_kbps:
            kbps = max(codec.min_kbps, int(kbps * max_bytes / len(data) * _HEADROOM))
        else:
            pcm = pcm[: int(len(pcm) * max_bytes / len(data) * _HEADROOM)]
        data = _run(ffmpeg, [pcm], sample_rate, fmt, kbps)
    return Encoded(data, len(pcm), kbps)


def encode(
    pcm: PCM,
    sample_rate: int,
    fmt: Format = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    ffmpeg: str = "ffmpeg",
) -> bytes:
    """``pcm`` (int16 frames of shape (n, 2)) as an OGG/Opus or MP3 file of at most ``max_bytes`` bytes."""
    return encode_stream([pcm], len(pcm), sample_rate, fmt, max_bytes, ffmpeg).data


def encode_stream(
    blocks: Iterable[PCM],
    frames: int,
    sample_rate: int,
    fmt: Format = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    ffmpeg: str = "ffmpeg",
) -> Encoded:
    """Like :func:`encode`, for PCM that arrives in blocks (``frames`` in all) while it is being made.

    Each block goes to ffmpeg as soon as it arrives, so encoding overlaps whatever produces the
    blocks. The blocks are kept: if the file comes out too big it is re-encoded from them.
    """
    codec = _check(fmt, max_bytes)
    binary = _ffmpeg(ffmpeg)
    kbps = _first_kbps(codec, frames, sample_rate, max_bytes)
    kept: list[PCM] = []

    def keeping() -> Iterator[PCM]:
        for block in blocks:
            if block.ndim != 2 or block.shape[1] != 2:
                raise EncodeError(f"expected stereo PCM of shape (frames, 2), got shape {block.shape}.")
            kept.append(block)
            yield block

    data = _run(binary, keeping(), sample_rate, fmt, kbps)
    pcm = np.concatenate(kept) if kept else np.zeros((0, 2), np.int16)
    return _fit(data, kbps, pcm, sample_rate, fmt, max_bytes, binary)
