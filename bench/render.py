"""``python -m bench.render``: how fast a composed piece becomes a Discord clip, against the plain path.

In-process path, as the bot runs it: :func:`bot.audio.clips.make_clip` arranges 16 bars at 120 bpm for the
band (:mod:`model.arrange`), renders with one long-lived :class:`bot.audio.render.Renderer` (soundfont loaded
once, outside the timing) while ffmpeg encodes OGG/Opus from the stream, and draws the piano roll.
Both paths synthesise at the same rate (``--sample-rate``, default
:data:`bot.audio.render.DEFAULT_SAMPLE_RATE`). The same arranged MIDI is also rendered
(:meth:`Renderer.render`) and encoded (:func:`bot.audio.encode.encode`) one after the other, to show
what the overlap saves. Plain path, on the same MIDI in the same run: midi2audio's
``FluidSynth(sound_font).midi_to_audio(mid, wav)`` (the fluidsynth CLI, which reloads the soundfont
every call) and a separate ffmpeg call turning the WAV into OGG/Opus.

``--level`` measures the clips' level instead of their speed: every style with every lead (16 bars at the
style's default tempo, ``--seeds`` pieces each) made by ``make_clip`` and measured on the encoded file with
ffmpeg's ``ebur128=peak=true``: integrated loudness, true peak and loudness range per style.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import resource
import statistics
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from midi2audio import FluidSynth

from bot.__main__ import freeze_startup_objects
from bot.audio.clips import AudioFormat, make_clip
from bot.audio.encode import encode, encode_stream
from bot.audio.loudness import FileLevel, measure_file
from bot.audio.render import DEFAULT_SAMPLE_RATE, DEFAULT_SOUNDFONT, Renderer
from model.arrange import DEFAULT_TEMPI, LEAD_INSTRUMENTS, STYLES, ArrangeOptions
from model.compose import Composer

BARS = 16
TEMPO = 120
OPUS_KBPS = 96  # bot.audio.encode's default Opus bitrate, so both paths write comparable files

T = TypeVar("T")


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (ffmpeg, fluidsynth)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class Stages:
    """Wall and CPU seconds per seed for each named stage, and the seconds of audio each seed produced.

    On a shared machine wall time depends on the neighbours' load; CPU time much less so. On an idle
    2-core machine the streamed render+encode takes about the larger of the two stages' CPU times.
    """

    seconds: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    audio: list[float] = field(default_factory=list)

    def timed(self, stage: str, function: Callable[[], T]) -> T:
        started, cpu = time.perf_counter(), _cpu_seconds()
        result = function()
        self.add(stage, time.perf_counter() - started, _cpu_seconds() - cpu)
        return result

    def add(self, stage: str, seconds: float, cpu: float | None = None) -> None:
        self.seconds.setdefault(stage, []).append(seconds)
        if cpu is not None:
            self.cpu.setdefault(stage, []).append(cpu)

    def total(self, stage: str, *parts: str) -> None:
        """Record the last seed's ``stage`` as the sum of the last seed's ``parts``."""
        self.add(stage, sum(self.seconds[part][-1] for part in parts))
        if all(part in self.cpu for part in parts):
            self.cpu.setdefault(stage, []).append(sum(self.cpu[part][-1] for part in parts))

    def p50(self, stage: str) -> float:
        return statistics.median(self.seconds[stage])

    def cpu_p50(self, stage: str) -> str:
        return f"{statistics.median(self.cpu[stage]) * 1e3:.0f} ms" if stage in self.cpu else ""

    def real_time_factor(self, stage: str) -> float:
        """Median over seeds of audio seconds per wall second."""
        return statistics.median(a / s for a, s in zip(self.audio, self.seconds[stage], strict=True))


@contextlib.contextmanager
def _quiet_fds() -> Iterator[None]:
    """Silence stdout/stderr at the descriptor level: midi2audio lets the fluidsynth CLI print its banner."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


def _streamed(renderer: Renderer, midi: bytes) -> bytes:
    """Render and encode with the two overlapping, as :func:`bot.audio.clips.make_clip` does, nothing else."""
    stream = renderer.stream(midi)
    return encode_stream(stream.blocks, stream.frames, stream.sample_rate, "ogg").data


def _plain(midi: bytes, workdir: Path, sample_rate: int, stages: Stages) -> None:
    """midi2audio to a WAV file, then a separate ffmpeg call to OGG/Opus, timed per stage."""
    mid, wav, ogg = workdir / "clip.mid", workdir / "clip.wav", workdir / "clip.ogg"
    mid.write_bytes(midi)
    synth = FluidSynth(str(DEFAULT_SOUNDFONT), sample_rate=sample_rate)
    with _quiet_fds():
        stages.timed("render", lambda: synth.midi_to_audio(str(mid), str(wav)))
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(wav),
        "-c:a", "libopus", "-b:a", f"{OPUS_KBPS}k", str(ogg),
    ]  # fmt: skip
    stages.timed("encode", lambda: subprocess.run(command, check=True))
    stages.total("render+encode", "render", "encode")
    with wave.open(str(wav)) as audio:
        stages.audio.append(audio.getnframes() / audio.getframerate())
    if ogg.stat().st_size == 0:
        raise RuntimeError("the plain path wrote an empty OGG file")


def level(composer: Composer, renderer: Renderer, seeds: int, audio_format: AudioFormat) -> None:
    """Print the level of every style x lead clip, measured on the encoded file, and a summary per style."""
    print(f"{'style':<7} {'lead':<12} {'seed':>4} {'LUFS':>6} {'dBTP':>6} {'LRA':>5}")
    levels: dict[str, list[FileLevel]] = {}
    for style in STYLES:
        for lead in LEAD_INSTRUMENTS:
            for seed in range(seeds):
                piece = composer.compose(
                    BARS, DEFAULT_TEMPI[style], seed=seed, meter=3 if style == "waltz" else None
                )
                options = ArrangeOptions(style=style, lead=lead)
                measured = measure_file(make_clip(piece, renderer, options, audio_format=audio_format).audio)
                levels.setdefault(style, []).append(measured)
                print(
                    f"{style:<7} {lead:<12} {seed:>4} {measured.integrated:>6.1f} "
                    f"{measured.true_peak:>6.1f} {measured.loudness_range:>5.1f}",
                    flush=True,
                )
    for style, clips in levels.items():
        loudness = [clip.integrated for clip in clips]
        print(
            f"{style}: {len(clips)} clips ({audio_format}), integrated {min(loudness):.1f} .. "
            f"{max(loudness):.1f} LUFS, true peak max {max(clip.true_peak for clip in clips):.1f} dBTP, "
            f"LRA median {statistics.median(clip.loudness_range for clip in clips):.1f} LU"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="pieces timed on each path")
    parser.add_argument("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE, help="synthesis rate (Hz)")
    parser.add_argument(
        "--level", choices=("ogg", "mp3"), help="measure the clips' level in this format instead of speed"
    )
    args = parser.parse_args(argv)

    composer = Composer.load()
    renderer = Renderer(DEFAULT_SOUNDFONT, sample_rate=args.sample_rate)
    if args.level is not None:
        level(composer, renderer, args.seeds, args.level)
        renderer.close()
        return 0
    make_clip(composer.compose(BARS, TEMPO, seed=0), renderer)  # first calls pay for imports and caches
    freeze_startup_objects()  # as python -m bot does, so collections do not rescan long-lived objects

    fast, plain = Stages(), Stages()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as workdir:
        for seed in range(args.seeds):
            piece = composer.compose(BARS, TEMPO, seed=seed)
            clip = fast.timed("make_clip", functools.partial(make_clip, piece, renderer))
            for stage in ("arrange", "draw"):
                fast.add(stage, clip.timings[stage])
            fast.audio.append(clip.duration)
            fast.timed("streamed render+encode", functools.partial(_streamed, renderer, clip.midi))
            pcm = fast.timed("render", functools.partial(renderer.render, clip.midi))
            fast.timed("encode", functools.partial(encode, pcm, renderer.sample_rate, "ogg"))
            fast.total("render+encode", "render", "encode")
            _plain(clip.midi, Path(workdir), args.sample_rate, plain)
    renderer.close()

    print(
        f"{args.seeds} seeds, {BARS} bars at {TEMPO} bpm, arranged swing band, synthesis at "
        f"{args.sample_rate} Hz, OGG/Opus {OPUS_KBPS} kbps; audio p50: in-process "
        f"{statistics.median(fast.audio):.1f} s, plain {statistics.median(plain.audio):.1f} s"
    )
    header = f"{'in-process p50':>14} {'CPU':>7} {'plain p50':>10} {'CPU':>7} {'ratio':>6} {'RTF':>10}"
    print(f"{'stage':<24} {header}")
    rows = [
        ("arrange", None),
        ("render", "render"),
        ("encode", "encode"),
        ("render+encode", "render+encode"),
        ("streamed render+encode", "render+encode"),
        ("draw", None),
        ("make_clip", None),
    ]
    for stage, plain_stage in rows:
        line = f"{stage:<24} {fast.p50(stage) * 1e3:>11.1f} ms {fast.cpu_p50(stage):>7}"
        if plain_stage is not None:
            line += (
                f" {plain.p50(plain_stage) * 1e3:>7.1f} ms {plain.cpu_p50(plain_stage):>7} "
                f"{plain.p50(plain_stage) / fast.p50(stage):>5.2f}x "
                f"{fast.real_time_factor(stage):>3.0f}x/{plain.real_time_factor(plain_stage):.0f}x"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
