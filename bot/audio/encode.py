"""16-bit stereo PCM to an OGG/Opus or MP3 file with an ffmpeg subprocess, always within a size limit.

PCM goes to ffmpeg's stdin and the file comes back on stdout, so nothing touches the disk.
:func:`encode_stream` takes the PCM block by block while it is still being rendered, so ffmpeg encodes
on another core meanwhile, and keeps none of it: a long clip's PCM (~50 MB for 6.5 minutes) would
otherwise sit in memory twice. The size guard first picks a bitrate the duration allows; if the file
still comes out too big (VBR overshoot), the encoded file itself is transcoded at a lower bitrate, and at
the codec's lowest bitrate cut shorter, so an upload never fails for size.

``timeout`` bounds the whole encode: ffmpeg is killed when it runs out (which also unblocks a producer
waiting on a full pipe) and :class:`EncodeTimeout` is raised.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Literal

import numpy as np
import numpy.typing as npt

from bot.core.failures import DeadlinePassed
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


class EncodeTimeout(EncodeError, DeadlinePassed):
    """ffmpeg did not finish within the time it was given, and was killed."""


def _ffmpeg(ffmpeg: str) -> str:
    found = shutil.which(ffmpeg)
    if found is None:
        raise EncodeError(
            f"ffmpeg was not found ({ffmpeg}); install the Debian package {FFMPEG_PACKAGE} "
            f"(apt install {FFMPEG_PACKAGE}) to encode audio clips."
        )
    return found


def _command(
    ffmpeg: str, input_args: Iterable[str], sample_rate: int, fmt: Format, kbps: int, seconds: float | None
) -> list[str]:
    """ffmpeg reading stdin as ``input_args`` say, writing ``fmt`` at ``kbps`` (cut at ``seconds``)."""
    out_rate = _OPUS_RATE if fmt == "ogg" else (sample_rate if kbps >= 32 else _MP3_LOW_RATE)
    cut = () if seconds is None else ("-t", f"{seconds:.6f}")
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", *input_args, "-i", "pipe:0",
        "-ar", str(out_rate), "-b:a", f"{kbps}k", *cut, *_CODECS[fmt].args,
        "-fflags", "+bitexact", "pipe:1",  # no random Ogg stream serial: the same audio, the same bytes
    ]  # fmt: skip


def _pcm_input(sample_rate: int) -> tuple[str, ...]:
    return ("-f", "s16le", "-ar", str(sample_rate), "-ac", "2")


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


class _Deadline:
    """When the encode must be done by (None: no limit), shared by the first pass and any re-encodes."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._at = None if timeout is None else time.monotonic() + timeout

    def left(self) -> float | None:
        return None if self._at is None else max(self._at - time.monotonic(), 0.0)


def _run(command: list[str], chunks: Iterable[memoryview | bytes], deadline: _Deadline) -> bytes:
    """Feed ``chunks`` to ffmpeg as they come; threads collect its stdout and stderr meanwhile, and a
    timer kills it when the deadline passes."""
    pipe = subprocess.PIPE
    timed_out = threading.Event()
    with subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=pipe) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None

        def kill() -> None:
            timed_out.set()
            process.kill()

        left = deadline.left()
        timer = None if left is None else threading.Timer(left, kill)
        if timer is not None:
            timer.daemon = True
            timer.start()
        with contextlib.suppress(OSError):  # a bigger pipe lets the producer run ahead (Linux)
            fcntl.fcntl(process.stdin, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        stdout, stderr = _drain(process.stdout), _drain(process.stderr)
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
        except BrokenPipeError:
            pass  # ffmpeg stopped reading (or was killed); the return code and its message say why
        except BaseException:
            process.kill()
            raise
        finally:
            with contextlib.suppress(OSError):  # flushing fails if ffmpeg is gone
                process.stdin.close()
            data, message = stdout(), stderr()
            if timer is not None:
                timer.cancel()
    if timed_out.is_set():
        raise EncodeTimeout(f"ffmpeg did not finish encoding within {deadline.timeout:g} s and was stopped.")
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
    first: Encoded, sample_rate: int, fmt: Format, max_bytes: int, ffmpeg: str, deadline: _Deadline
) -> Encoded:
    """``first`` or, while it is too big, ``first`` transcoded at a lower bitrate (then cut shorter).

    Every attempt starts from the first pass, the best copy there is, so losses do not pile up; the
    first pass is a few MB where the PCM it came from was tens.
    """
    codec = _CODECS[fmt]
    data, kbps, frames = first.data, first.kbps, first.frames
    while len(data) > max_bytes and frames > 1:
        if kbps > codec.min_kbps:
            kbps = max(codec.min_kbps, int(kbps * max_bytes / len(data) * _HEADROOM))
        else:
            frames = int(frames * max_bytes / len(data) * _HEADROOM)
        command = _command(ffmpeg, (), sample_rate, fmt, kbps, frames / sample_rate)
        data = _run(command, [first.data], deadline)
    return Encoded(data, frames, kbps)


def encode(
    pcm: PCM,
    sample_rate: int,
    fmt: Format = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    ffmpeg: str = "ffmpeg",
    timeout: float | None = None,
) -> bytes:
    """``pcm`` (int16 frames of shape (n, 2)) as an OGG/Opus or MP3 file of at most ``max_bytes`` bytes."""
    return encode_stream([pcm], len(pcm), sample_rate, fmt, max_bytes, ffmpeg, timeout).data


def encode_stream(
    blocks: Iterable[PCM],
    frames: int,
    sample_rate: int,
    fmt: Format = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    ffmpeg: str = "ffmpeg",
    timeout: float | None = None,
) -> Encoded:
    """Like :func:`encode`, for PCM that arrives in blocks (``frames`` in all) while it is being made.

    Each block goes to ffmpeg as soon as it arrives, so encoding overlaps whatever produces the
    blocks, and is dropped once written. ``timeout`` (seconds, None: no limit) bounds the whole encode,
    the producer's time included; past it ffmpeg is killed and :class:`EncodeTimeout` raised.
    """
    codec = _check(fmt, max_bytes)
    binary = _ffmpeg(ffmpeg)
    deadline = _Deadline(timeout)
    kbps = _first_kbps(codec, frames, sample_rate, max_bytes)
    written = 0

    def checked() -> Iterator[memoryview]:
        nonlocal written
        for block in blocks:
            if block.ndim != 2 or block.shape[1] != 2:
                raise EncodeError(f"expected stereo PCM of shape (frames, 2), got shape {block.shape}.")
            written += len(block)
            yield np.ascontiguousarray(block, "<i2").data

    command = _command(binary, _pcm_input(sample_rate), sample_rate, fmt, kbps, None)
    data = _run(command, checked(), deadline)
    return _fit(Encoded(data, written, kbps), sample_rate, fmt, max_bytes, binary, deadline)
