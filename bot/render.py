"""MIDI to 16-bit stereo PCM with one long-lived FluidSynth synth per worker.

Loading the 148 MB FluidR3 soundfont takes longer than rendering a clip, so a :class:`Renderer`
loads it once and is reused. The synth is driven event by event: between two event times it writes
exactly the samples that elapse, so tempo changes are honoured because event times come from mido's
tempo-aware playback order. Output is peak-normalised to about -1 dBFS (FluidSynth's default gain
peaks near -21 dBFS) and ends :data:`TAIL_SECONDS` after the last note-off, with a short fade so the
cut-off reverb does not click.

A :class:`Renderer` holds mutable synth state and is **not thread-safe**: give each worker thread
its own instance.
"""

from __future__ import annotations

from pathlib import Path

import fluidsynth
import mido
import numpy as np
import numpy.typing as npt

from model.errors import InputError
from model.midi import read_midi

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SOUNDFONT_PACKAGE = "fluid-soundfont-gm"
DEFAULT_SAMPLE_RATE = 48000
TAIL_SECONDS = 2.0
FADE_SECONDS = 0.25
PEAK_DBFS = -1.0
MAX_SECONDS = 15 * 60.0
MAX_EVENTS = 100_000
_FLUSH_BLOCK_SECONDS = 0.1  # after a reset, silence is rendered and dropped in blocks this long ...
_FLUSH_MAX_SECONDS = 5.0  # ... until the previous clip's reverb has died away, or this much time passed
_SILENT = 16  # peak below which a flush block counts as silent (FluidSynth dithers its 16-bit output)

PCM = npt.NDArray[np.int16]


class RenderError(InputError):
    """A soundfont or MIDI file the renderer cannot use."""


def _timeline(midi: mido.MidiFile, max_seconds: float) -> tuple[list[tuple[float, mido.Message]], float]:
    """(seconds, message) for every channel message, and the time of the last note-off."""
    if midi.type == 2:
        raise RenderError("type 2 MIDI files (independent patterns) cannot be played; export as type 0 or 1.")
    events: list[tuple[float, mido.Message]] = []
    now = 0.0
    last_off = 0.0
    for message in midi:  # mido merges the tracks and converts ticks to seconds with every tempo change
        now += message.time
        if now > max_seconds:
            raise RenderError(
                f"the MIDI file plays for more than {max_seconds / 60:.0f} minutes; "
                f"clips up to {max_seconds / 60:.0f} minutes can be rendered."
            )
        if message.is_meta:
            continue
        events.append((now, message))
        if message.type == "note_off" or (message.type == "note_on" and message.velocity == 0):
            last_off = now
        elif message.type == "note_on":
            last_off = max(last_off, now)
    return events, last_off


def normalise(pcm: PCM, peak_dbfs: float = PEAK_DBFS) -> PCM:
    """``pcm`` scaled so its loudest sample sits at ``peak_dbfs``; silence stays silence."""
    peak = int(np.max(np.abs(pcm.astype(np.int32)))) if pcm.size else 0
    if peak == 0:
        return pcm
    target = 32767 * 10 ** (peak_dbfs / 20)
    return np.clip(np.rint(pcm * (target / peak)), -32768, 32767).astype(np.int16)


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
        self._synth = fluidsynth.Synth(samplerate=float(sample_rate))
        if self._synth.sfload(str(path), 1) < 0:
            self._synth.delete()
            raise RenderError(f"{path} is not a usable SoundFont; point to a General MIDI .sf2 file.")

    def close(self) -> None:
        """Free the synth and the soundfont memory."""
        self._synth.delete()

    def render(self, midi: bytes, max_seconds: float = MAX_SECONDS, max_events: int = MAX_EVENTS) -> PCM:
        """``midi`` as int16 stereo frames of shape (n, 2), normalised, ending ~2 s after the last note.

        Raises :class:`~model.errors.InputError` for corrupt, empty, note-less, too long or too busy MIDI.
        """
        events, last_off = _timeline(read_midi(midi, max_events=max_events), max_seconds)
        self._reset()
        blocks: list[PCM] = []
        written = 0
        for seconds, message in events:
            frame = round(seconds * self.sample_rate)
            if frame > written:
                blocks.append(self._synth.get_samples(frame - written))
                written = frame
            self._send(message)
        end = round((last_off + TAIL_SECONDS) * self.sample_rate)
        if end > written:
            blocks.append(self._synth.get_samples(end - written))
        pcm = np.concatenate(blocks).astype(np.int16).reshape(-1, 2)[:end]
        return normalise(_fade_out(pcm, round(FADE_SECONDS * self.sample_rate)))

    def _reset(self) -> None:
        """All notes off, controllers and programs back to GM defaults, reverb tail flushed."""
        self._synth.system_reset()
        block = round(_FLUSH_BLOCK_SECONDS * self.sample_rate)
        for _ in range(round(_FLUSH_MAX_SECONDS / _FLUSH_BLOCK_SECONDS)):
            if np.max(np.abs(self._synth.get_samples(block).astype(np.int32))) < _SILENT:
                return

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


def _fade_out(pcm: PCM, frames: int) -> PCM:
    frames = min(frames, len(pcm))
    if frames == 0:
        return pcm
    ramp = np.linspace(1.0, 0.0, frames)[:, None]
    faded = pcm.copy()
    faded[-frames:] = np.rint(pcm[-frames:] * ramp).astype(np.int16)
    return faded
