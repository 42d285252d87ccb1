"""The worker-thread side of a job: compose a piece and turn it into a clip. No asyncio here.

One :class:`Studio` serves every worker thread. The composer is immutable and thread-safe; a FluidSynth
:class:`~bot.audio.render.Renderer` is not, so each worker thread gets its own, made on the thread's first job
and kept for the life of the studio (loading the soundfont takes ~350 ms; each render then starts on a
fresh synth holding the same loaded soundfont, see :meth:`bot.audio.render.Renderer._reset`).

Audio failures (:class:`~bot.audio.encode.EncodeError`, :class:`~bot.audio.render.RenderError`) are the
server's, never the member's: they leave here as :class:`~bot.core.failures.ServerFault`, which the queue
logs at ERROR with the cause while the member gets an apology with the request id. Rendering stops at
the job timeout (the queue kills a hung ffmpeg at the same moment).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from bot.audio.clips import AudioFormat, Clip, make_clip
from bot.audio.encode import EncodeError, EncodeTimeout, encode_stream
from bot.audio.render import Renderer
from bot.core.failures import ServerFault
from bot.core.requests import JazzRequest
from bot.services.settings import Settings
from model.compose import Composer, Style


class Studio:
    """Makes clips for :class:`~bot.services.jobs.JobQueue` workers: ``make(request, on_stage) -> Clip``."""

    def __init__(self, composer: Composer, settings: Settings) -> None:
        self._composer = composer
        self._settings = settings
        self._local = threading.local()
        self._renderers: list[Renderer] = []
        self._lock = threading.Lock()

    @property
    def job_timeout(self) -> float:
        """Seconds a clip may take (``JAZZBOT_JOB_TIMEOUT``): rendering and encoding stop at it."""
        return self._settings.job_timeout

    def make(self, request: JazzRequest, on_stage: Callable[[str], None] | None = None) -> Clip:
        """The clip for ``request``; ``on_stage`` hears "composing", then make_clip's stages.

        Blocking: call it from a worker thread. Bad requests raise :class:`~model.errors.InputError`.
        """
        deadline = time.monotonic() + self._settings.job_timeout
        if on_stage is not None:
            on_stage("composing")
        started = time.perf_counter()
        piece = self._composer.compose_many([request.compose_request()])[0]
        composed = time.perf_counter() - started
        options = request.arrange_options()
        if options.seed is None:  # the band plays the same way whenever the piece is made again
            options = dataclasses.replace(options, seed=piece.seed)
        try:
            clip = make_clip(
                piece,
                self.renderer(),
                options,
                audio_format=self._settings.audio_format,
                max_bytes=self._settings.max_upload_bytes,
                on_stage=on_stage,
                deadline=deadline,
                encode_timeout=max(0.0, deadline - time.monotonic()),
            )
        except EncodeTimeout:
            raise  # the job's deadline (DeadlinePassed): the queue tells the member it took too long
        except EncodeError as error:  # an InputError by its class, but nothing the member did
            raise ServerFault(f"encoding failed: {error}") from error
        return dataclasses.replace(clip, timings={"composing": composed, **clip.timings})

    def style(self, like: str) -> Style:
        """What ``like`` resolves to; an unknown soloist or era is an InputError naming the closest."""
        return self._composer.style(like)

    def render_audio(
        self, midi: bytes, audio_format: AudioFormat, on_stage: Callable[[str], None] | None = None
    ) -> bytes:
        """A stored clip's audio made again from its MIDI (retention drops old clips' audio), with the
        settings a new clip gets. Blocking: call it from a worker thread."""
        deadline = time.monotonic() + self._settings.job_timeout
        if on_stage is not None:
            on_stage("rendering")
        stream = self.renderer().stream(midi, deadline=deadline)
        try:
            encoded = encode_stream(
                stream.blocks,
                stream.frames,
                stream.sample_rate,
                audio_format,
                self._settings.max_upload_bytes,
                timeout=max(0.0, deadline - time.monotonic()),
            )
        except EncodeTimeout:
            raise
        except EncodeError as error:
            raise ServerFault(f"encoding failed: {error}") from error
        return encoded.data

    def renderer(self) -> Renderer:
        """This thread's renderer, created on first use."""
        renderer: Renderer | None = getattr(self._local, "renderer", None)
        if renderer is None:
            renderer = Renderer(self._settings.soundfont)
            self._local.renderer = renderer
            with self._lock:
                self._renderers.append(renderer)
        return renderer

    def close(self) -> None:
        """Free every thread's synth; call after the worker threads have stopped."""
        with self._lock:
            renderers, self._renderers = self._renderers, []
        for renderer in renderers:
            renderer.close()
