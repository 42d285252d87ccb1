"""MIDI to 16-bit stereo PCM with one long-lived FluidSynth synth per worker, streamed in blocks.

Loading the 148 MB FluidR3 soundfont takes longer than rendering a clip, so a :class:`Renderer`
loads it once and is reused. The synth is driven event by event: between two event times it writes
exactly the samples that elapse, so tempo changes are honoured because event times come from mido's
tempo-aware playback order. :meth:`Renderer.stream` hands the audio out in blocks of
:data:`BLOCK_SECONDS` as it is rendered, so an encoder can work on one block while the next renders;
the clip's length is known before the first block. The level comes from :mod:`bot.audio.level`: the
first stretch of the band, with the loudness plan read from the MIDI (:mod:`bot.audio.plan`) for the
rest, sets the clip's gain towards -16 LUFS (so only that stretch is held back, not the whole clip), a
slow fader corrects it from the loudness measured as the clip goes, and a look-ahead limiter keeps
peaks under the ceiling. Clips end :data:`TAIL_SECONDS` after the last note-off,
with a short fade so the cut-off reverb does not click.

A render can be given a ``deadline`` (``time.monotonic()`` seconds): past it, the next block raises
:class:`RenderTimeout`, so a job over its time limit gives its worker back. Render failures are
:class:`~bot.core.failures.ServerFault`: the bot only renders MIDI it wrote itself, so a failure is the
server's (soundfont, library), not the member's.

A :class:`Renderer` holds mutable synth state and is **not thread-safe**: give each worker thread
its own instance, and finish one stream before starting the next.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt

from bot.audio.level import BAND_GAIN, Leveller
from bot.audio.plan import loudness_plan
from bot.core.failures import DeadlinePassed, ServerFault
from model.midi import read_midi

# pyfluidsynth prints where it found the library to stdout when $CI is set, which would corrupt the
# console's output (and `--once` in scripts); keep its import quiet.
with contextlib.redirect_stdout(io.StringIO()):
    import fluidsynth

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SOUNDFONT_PACKAGE = "fluid-soundfont-gm"
# Synthesis rate. FluidSynth's cost grows with it and is the slower half of render+encode: at 32 kHz an
# arranged 16-bar clip takes ~40% less CPU than at 48 kHz, and what is lost above 16 kHz is 35..45 dB
# below the band's total energy (cymbal air). ffmpeg resamples to Opus's 48 kHz while it encodes.
DEFAULT_SAMPLE_RATE = 32000
TAIL_SECONDS = 2.0
FADE_SECONDS = 0.25
BLOCK_SECONDS = 0.25
MAX_SECONDS = 15 * 60.0
MAX_EVENTS = 100_000
DRUM_CHANNEL = 9  # GM channel 10
DEFAULT_TEMPO = 500_000  # microseconds a beat until a set_tempo says otherwise (120 bpm), as in mido

PCM = npt.NDArray[np.int16]
_Float = npt.NDArray[np.float32]
_Events = list[tuple[float, mido.Message]]  # (seconds, message) in playing order

# pyfluidsynth only wraps the dithered 16-bit writer; float output keeps the headroom the limiter needs.
# The library is the one pyfluidsynth found (importing it fails without one).
_fluidsynth = ctypes.CDLL(ctypes.util.find_library("fluidsynth"))
_write_float = _fluidsynth.fluid_synth_write_float
_channel = (ctypes.c_void_p, ctypes.c_int, ctypes.c_int)  # buffer, offset, increment (2: interleaved)
_write_float.argtypes = (ctypes.c_void_p, ctypes.c_int, *_channel, *_channel)
_write_float.restype = ctypes.c_int
# Moving the loaded soundfont to a fresh synth (see Renderer._reset); pyfluidsynth wraps none of these.
_get_sfont = _fluidsynth.fluid_synth_get_sfont_by_id
_get_sfont.argtypes, _get_sfont.restype = (ctypes.c_void_p, ctypes.c_int), ctypes.c_void_p
_remove_sfont = _fluidsynth.fluid_synth_remove_sfont
_remove_sfont.argtypes, _remove_sfont.restype = (ctypes.c_void_p, ctypes.c_void_p), ctypes.c_int
_add_sfont = _fluidsynth.fluid_synth_add_sfont
_add_sfont.argtypes, _add_sfont.restype = (ctypes.c_void_p, ctypes.c_void_p), ctypes.c_int
_set_log_function = _fluidsynth.fluid_set_log_function
_set_log_function.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_set_log_function.restype = ctypes.c_void_p
_FLUID_WARN = 2


@contextlib.contextmanager
def _fluidsynth_warnings_muted() -> Iterator[None]:
    """FluidSynth's warnings dropped for the block: a synth whose soundfont is taken away warns, once
    per MIDI channel (256), that it has no preset left, which is exactly what is meant there."""
    previous = _set_log_function(_FLUID_WARN, None, None)
    try:
        yield
    finally:
        _set_log_function(_FLUID_WARN, previous, None)


class RenderError(ServerFault):
    """A soundfont or MIDI file the renderer cannot use."""


class RenderTimeout(RenderError, DeadlinePassed):
    """The render went past its deadline."""


@dataclass(frozen=True)
class RenderStream:
    """A clip being rendered: its exact length up front, then its PCM blocks (int16, shape (n, 2)).

    The blocks come from the renderer's synth as they are iterated, so consume them before the
    renderer starts another clip.
    """

    frames: int
    sample_rate: int
    blocks: Iterator[PCM]

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def _timeline(midi: mido.MidiFile, max_seconds: float) -> tuple[_Events, float]:
    """(seconds, message) for every channel message, and the time of the last note-off.

    The order and the times are exactly those of iterating ``midi`` (mido merges the tracks by absolute
    tick, stably, drops the ``end_of_track`` messages but keeps their time, and turns each tick delta
    into seconds with the tempo of the moment, summed here as before), without the two copies mido makes
    of every message on the way (the message here keeps its ticks in ``time``; nothing reads it)."""
    if midi.type == 2:
        raise RenderError("type 2 MIDI files (independent patterns) cannot be played; export as type 0 or 1.")
    merged: list[tuple[int, mido.Message | mido.MetaMessage]] = []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            merged.append((tick, message))
    merged.sort(key=_tick)
    events: _Events = []
    now = 0.0
    last_off = 0.0
    scale = _seconds_per_tick(DEFAULT_TEMPO, midi.ticks_per_beat)
    previous = 0  # the tick of the last message played (end_of_track messages are not)
    for tick, message in merged:
        kind = message.type
        if kind == "end_of_track":
            continue
        if tick > previous:
            now += (tick - previous) * scale
            previous = tick
        _check_length(now, max_seconds)
        if message.is_meta:
            if kind == "set_tempo":
                scale = _seconds_per_tick(message.tempo, midi.ticks_per_beat)
            continue
        events.append((now, message))
        if kind == "note_off" or (kind == "note_on" and message.velocity == 0):
            last_off = now
        elif kind == "note_on":
            last_off = max(last_off, now)
    if merged and merged[-1][0] > previous:  # the end of the longest track, after its last message
        _check_length(now + (merged[-1][0] - previous) * scale, max_seconds)
    return events, last_off


def _tick(timed: tuple[int, object]) -> int:
    return timed[0]


def _seconds_per_tick(tempo: int, ticks_per_beat: int) -> float:
    """As :func:`mido.tick2second` computes it, so the sums come out the same to the last bit."""
    return tempo * 1e-6 / ticks_per_beat


def _check_length(now: float, max_seconds: float) -> None:
    if now > max_seconds:
        raise RenderError(
            f"the MIDI file plays for more than {max_seconds / 60:.0f} minutes; "
            f"clips up to {max_seconds / 60:.0f} minutes can be rendered."
        )


def _band_entry(events: _Events) -> float:
    """When the first pitched note starts (a drums-only count-in says little about the clip's level)."""
    onsets = [(m.channel == DRUM_CHANNEL, t) for t, m in events if m.type == "note_on" and m.velocity > 0]
    return min(onsets)[1] if onsets else 0.0


class Renderer:
    """A FluidSynth synth with a General MIDI soundfont loaded, rendering MIDI files to PCM.

    One instance per worker thread: the synth is stateful and not safe to share.
    """

    def __init__(self, soundfont: Path | None = None, sample_rate: int = DEFAULT_SAMPLE_RATE) -> None:
        path = soundfont if soundfont is not None else DEFAULT_SOUNDFONT
        if not path.is_file():
            raise RenderError(
                f"no soundfont at {path}; install the Debian package {SOUNDFONT_PACKAGE} "
                f"(apt install {SOUNDFONT_PACKAGE}) or configure the path to a General MIDI .sf2 file."
            )
        self.sample_rate = sample_rate
        self._synth = self._new_synth()
        sfont_id = self._synth.sfload(str(path), 1)
        if sfont_id < 0:
            self._synth.delete()
            raise RenderError(f"{path} is not a usable SoundFont; point to a General MIDI .sf2 file.")
        self._sfont = _get_sfont(self._synth.synth, sfont_id)

    def _new_synth(self) -> fluidsynth.Synth:
        return fluidsynth.Synth(gain=BAND_GAIN, samplerate=float(self.sample_rate))

    def close(self) -> None:
        """Free the synth and the soundfont memory."""
        self._synth.delete()

    def render(
        self,
        midi: bytes | mido.MidiFile,
        max_seconds: float = MAX_SECONDS,
        max_events: int = MAX_EVENTS,
        deadline: float | None = None,
    ) -> PCM:
        """``midi`` as int16 stereo frames (n, 2) at about -16 LUFS, ending 2 s after the last note.

        Raises :class:`~model.errors.InputError` for corrupt, empty, note-less, too long or too busy MIDI.
        """
        stream = self.stream(midi, max_seconds, max_events, deadline)
        return np.concatenate(list(stream.blocks))

    def stream(
        self,
        midi: bytes | mido.MidiFile,
        max_seconds: float = MAX_SECONDS,
        max_events: int = MAX_EVENTS,
        deadline: float | None = None,
    ) -> RenderStream:
        """Like :meth:`render`, but the audio comes in blocks while it renders; a block asked for after
        ``deadline`` (``time.monotonic()``) raises :class:`RenderTimeout`.

        The MIDI is parsed and checked here, so bad input raises before any block is rendered.
        """
        events, last_off = _timeline(read_midi(midi, max_events=max_events), max_seconds)
        frames = round((last_off + TAIL_SECONDS) * self.sample_rate)
        leveller = Leveller(
            self.sample_rate,
            frames,
            band_entry=round(_band_entry(events) * self.sample_rate),
            music_end=round(last_off * self.sample_rate),
            plan=loudness_plan(events, frames / self.sample_rate),
        )
        return RenderStream(frames, self.sample_rate, self._blocks(events, frames, leveller, deadline))

    def _blocks(self, events: _Events, end: int, leveller: Leveller, deadline: float | None) -> Iterator[PCM]:
        """The synth's blocks brought to the clip's level (the leveller holds the first ones back);
        past ``deadline`` the next block raises :class:`RenderTimeout`."""
        rendered = 0
        for block in self._synthesise(events, end):
            if deadline is not None and time.monotonic() > deadline:
                seconds = rendered / self.sample_rate
                raise RenderTimeout(f"rendering passed its deadline after {seconds:.1f} s of audio")
            rendered += len(block)
            levelled = leveller.process(block)
            if len(levelled):
                yield levelled
        yield leveller.flush()

    def _synthesise(self, events: _Events, end: int) -> Iterator[_Float]:
        """Float stereo blocks of :data:`BLOCK_SECONDS` up to frame ``end``, the last ones faded out."""
        self._reset()
        block_frames = round(BLOCK_SECONDS * self.sample_rate)
        fade = _fade(min(round(FADE_SECONDS * self.sample_rate), end))
        fade_from = end - len(fade)
        pending = iter(events)
        upcoming = next(pending, None)
        for start in range(0, end, block_frames):
            block = np.empty((min(block_frames, end - start), 2), np.float32)
            filled = 0
            while upcoming is not None and round(upcoming[0] * self.sample_rate) < start + len(block):
                at = max(round(upcoming[0] * self.sample_rate) - start, filled)
                self._write(block, filled, at)
                filled = at
                self._send(upcoming[1])
                upcoming = next(pending, None)
            self._write(block, filled, len(block))
            if start + len(block) > fade_from:
                first = max(fade_from - start, 0)
                block[first:] *= fade[start + first - fade_from : start + len(block) - fade_from, None]
            yield block

    def _write(self, block: _Float, start: int, stop: int) -> None:
        """Render frames ``start..stop`` of ``block`` in place (interleaved stereo float)."""
        if stop > start:
            address = block.ctypes.data + start * block.strides[0]
            _write_float(self._synth.synth, stop - start, address, 0, 2, address, 1, 2)

    def _reset(self) -> None:
        """A fresh synth with the loaded soundfont moved over (a few ms; loading it again takes ~350 ms).

        A reused synth is not back to its first state after ``system_reset``: voices of the last clip
        (an unfinished note, reverb tails) live on, and even with those gone the output depends on the
        clip before (measured: the same MIDI rendered after two different clips gave two different PCM
        streams). A fresh synth makes a render depend on its MIDI alone, byte for byte, so audio the
        store dropped can be rendered again exactly (tests/bot/test_retention.py)."""
        old, new = self._synth, self._new_synth()
        with _fluidsynth_warnings_muted():
            moved = _remove_sfont(old.synth, self._sfont) == 0 and _add_sfont(new.synth, self._sfont) >= 0
            old.delete()
        self._synth = new
        if not moved:  # not seen in practice: FluidSynth refuses only a soundfont it does not hold
            raise RenderError("the soundfont could not be moved to a fresh synth")

    def _send(self, message: mido.Message) -> None:
        synth = self._synth
        kind = message.type
        if kind == "note_on":
            synth.noteon(message.channel, message.note, message.velocity)
        elif kind == "note_off":
            synth.noteoff(message.channel, message.note)
        elif kind == "control_change":
            synth.cc(message.channel, message.control, message.value)
        elif kind == "program_change":
            synth.program_change(message.channel, message.program)
        elif kind == "pitchwheel":
            synth.pitch_bend(message.channel, message.pitch)


def _fade(frames: int) -> _Float:
    """A linear fade from full level to silence over ``frames`` frames."""
    return np.linspace(1.0, 0.0, frames, dtype=np.float32)
