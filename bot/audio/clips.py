"""A composed piece turned into what the bot posts: band audio, MIDI, a piano roll and the chord chart.

:func:`make_clip` runs the stages one worker thread needs after composing: arrange the piece for the
band (:mod:`model.arrange`), render and encode the audio with the two overlapping (FluidSynth renders
the next block while ffmpeg encodes the last one on the other core), and draw the piano roll. The
Discord adapter and the console both post the resulting :class:`Clip`.

The picture is drawn on this thread once the last audio block is handed to ffmpeg, while ffmpeg still
works through the audio buffered in its pipe, so it costs a clip next to no time: what the user waits
for beyond rendering and encoding is composing and arranging (figures in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from bot.audio.encode import DEFAULT_MAX_BYTES, PCM, encode_stream
from bot.audio.pictures import piano_roll
from bot.audio.render import Renderer
from model.arrange import ArrangeOptions, arrange
from model.piece import Piece

AudioFormat = Literal["ogg", "mp3"]
STAGES = ("arranging", "rendering", "encoding", "drawing")


@dataclass(frozen=True)
class Clip:
    """One finished clip. ``timings`` maps stage to wall seconds: "arrange", "render", "draw" (after the
    render, while ffmpeg catches up) and "encode" (the encoder's work left after that)."""

    audio: bytes
    audio_format: AudioFormat
    duration: float  # seconds of audio
    midi: bytes
    png: bytes
    chart: str  # "| Cm7 | F7 | Bbmaj7 |"
    piece: Piece
    options: ArrangeOptions
    timings: dict[str, float]

    def filename(self, suffix: str) -> str:
        """A download name that says what the clip is: ``jazz-bb-swing-140bpm-seed7.ogg``."""
        key = self.piece.key.name.lower().replace("#", "sharp")  # "#" would break the attachment URL
        return f"jazz-{key}-{self.options.style}-{self.piece.tempo}bpm-seed{self.piece.seed}.{suffix}"


def make_clip(
    piece: Piece,
    renderer: Renderer,
    options: ArrangeOptions = ArrangeOptions(),
    audio_format: AudioFormat = "ogg",
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_stage: Callable[[str], None] | None = None,
    deadline: float | None = None,
    encode_timeout: float | None = None,
) -> Clip:
    """``piece`` arranged, rendered with ``renderer``, encoded to fit ``max_bytes`` and drawn; rendering
    raises :class:`~bot.audio.render.RenderTimeout` past ``deadline`` (``time.monotonic()``).

    ``on_stage`` hears each stage name of :data:`STAGES` as it starts, on the calling thread.
    Bad options or input raise :class:`~model.errors.InputError`. ``encode_timeout`` (seconds) bounds
    rendering plus encoding: past it ffmpeg is killed, and :class:`~bot.audio.encode.EncodeTimeout` is
    raised once the renderer hands over its next block.
    """
    announce = on_stage if on_stage is not None else (lambda stage: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[stage] = now - started
        started = now

    announce("arranging")
    arrangement = arrange(piece, options)
    lap("arrange")
    announce("rendering")
    stream = renderer.stream(arrangement.parsed, deadline=deadline)

    png = b""

    def rendered_then_drawn(blocks: Iterator[PCM]) -> Iterator[PCM]:
        """The audio blocks; after the last one, while ffmpeg (another process, so no GIL to share)
        still works through the buffered audio, the piano roll is drawn."""
        nonlocal png
        yield from blocks
        lap("render")
        announce("encoding")
        announce("drawing")
        png = piano_roll(arrangement.parsed, piece.chords, piece.bars)
        lap("draw")

    encoded = encode_stream(
        rendered_then_drawn(stream.blocks),
        stream.frames,
        stream.sample_rate,
        audio_format,
        max_bytes,
        timeout=encode_timeout,
    )
    lap("encode")
    return Clip(
        audio=encoded.data,
        audio_format=audio_format,
        duration=encoded.frames / stream.sample_rate,
        midi=arrangement.midi,
        png=png,
        chart=piece.chart(),
        piece=piece,
        options=arrangement.options,
        timings=timings,
    )
