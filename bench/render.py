"""``python -m bench.render``: how fast a composed piece becomes a Discord clip, against the plain path.

In-process path: compose 16 bars at 120 bpm, write MIDI with :func:`model.midi.piece_to_midi`, render it
with one long-lived :class:`bot.render.Renderer` (soundfont loaded once, outside the timing) and encode
OGG/Opus with :func:`bot.encode.encode`. Plain path, on the same MIDI in the same run: midi2audio's
``FluidSynth(sound_font).midi_to_audio(mid, wav)`` (the fluidsynth CLI, which reloads the soundfont every
call) and a separate ffmpeg call turning the WAV into OGG/Opus. There is no arrangement module yet, so
the input is piece_to_midi's unarranged two-track MIDI (melody + block chords).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
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

from bot.encode import encode
from bot.render import DEFAULT_SAMPLE_RATE, DEFAULT_SOUNDFONT, Renderer
from model.compose import Composer
from model.midi import piece_to_midi

BARS = 16
TEMPO = 120
OPUS_KBPS = 96  # bot.encode's default Opus bitrate, so both paths write comparable files

T = TypeVar("T")


@dataclass
class Stages:
    """Wall seconds per seed for each named stage, and the seconds of audio each seed produced."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    audio: list[float] = field(default_factory=list)

    def timed(self, stage: str, function: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = function()
        self.seconds.setdefault(stage, []).append(time.perf_counter() - started)
        return result

    def p50(self, stage: str) -> float:
        return statistics.median(self.seconds[stage])

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


def _plain(midi: bytes, workdir: Path, soundfont: Path, stages: Stages) -> None:
    """midi2audio to a WAV file, then a separate ffmpeg call to OGG/Opus, timed per stage."""
    mid, wav, ogg = workdir / "clip.mid", workdir / "clip.wav", workdir / "clip.ogg"
    mid.write_bytes(midi)
    synth = FluidSynth(str(soundfont), sample_rate=DEFAULT_SAMPLE_RATE)
    with _quiet_fds():
        stages.timed("render", lambda: synth.midi_to_audio(str(mid), str(wav)))
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(wav),
        "-c:a", "libopus", "-b:a", f"{OPUS_KBPS}k", str(ogg),
    ]  # fmt: skip
    stages.timed("encode", lambda: subprocess.run(command, check=True))
    with wave.open(str(wav)) as audio:
        stages.audio.append(audio.getnframes() / audio.getframerate())
    if ogg.stat().st_size == 0:
        raise RuntimeError("the plain path wrote an empty OGG file")


def _compose_midi(composer: Composer, seed: int) -> bytes:
    return piece_to_midi(composer.compose(BARS, TEMPO, seed=seed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="pieces timed on each path")
    args = parser.parse_args(argv)

    composer = Composer.load()
    renderer = Renderer(DEFAULT_SOUNDFONT)
    warm = _compose_midi(composer, 0)  # first calls pay for imports and caches
    encode(renderer.render(warm), renderer.sample_rate)

    fast, plain = Stages(), Stages()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as workdir:
        for seed in range(args.seeds):
            midi = fast.timed("compose+MIDI", functools.partial(_compose_midi, composer, seed))
            pcm = fast.timed("render", functools.partial(renderer.render, midi))
            fast.timed("encode", functools.partial(encode, pcm, renderer.sample_rate, "ogg"))
            fast.audio.append(len(pcm) / renderer.sample_rate)
            _plain(midi, Path(workdir), DEFAULT_SOUNDFONT, plain)
    renderer.close()
    for stages in (fast, plain):
        stages.seconds["render+encode"] = [
            r + e for r, e in zip(stages.seconds["render"], stages.seconds["encode"], strict=True)
        ]
    fast.seconds["total"] = [
        c + re for c, re in zip(fast.seconds["compose+MIDI"], fast.seconds["render+encode"], strict=True)
    ]

    print(
        f"{args.seeds} seeds, {BARS} bars at {TEMPO} bpm, unarranged 2-track MIDI, "
        f"OGG/Opus {OPUS_KBPS} kbps; "
        f"audio p50: in-process {statistics.median(fast.audio):.1f} s, "
        f"plain {statistics.median(plain.audio):.1f} s"
    )
    print(f"{'stage':<14} {'in-process p50':>15} {'plain p50':>10} {'ratio':>6} {'RTF in/plain':>16}")
    print(f"{'compose+MIDI':<14} {fast.p50('compose+MIDI') * 1e3:>12.1f} ms")
    for stage in ("render", "encode", "render+encode"):
        print(
            f"{stage:<14} {fast.p50(stage) * 1e3:>12.1f} ms {plain.p50(stage) * 1e3:>7.1f} ms "
            f"{plain.p50(stage) / fast.p50(stage):>5.2f}x "
            f"{fast.real_time_factor(stage):>7.0f}x/{plain.real_time_factor(stage):.0f}x"
        )
    print(f"{'total':<14} {fast.p50('total') * 1e3:>12.1f} ms  (RTF {fast.real_time_factor('total'):.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
