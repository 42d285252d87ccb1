"""An arrangement's MIDI read back: the lead line as heard, the chords of the conductor's markers, the
tempo and the key.

:func:`model.arrange.arrange` writes a conductor track (``jazzbot <key> <style>``, the tempo, a
``marker`` naming each chord where it starts) and a track named "Lead". Reading those back gives a
stored clip's melody over its chords without the :class:`~model.piece.Piece` it was made from, so the
clip can be measured with :mod:`model.evaluate`'s own figures (:mod:`model.reference_figures`).

The line is the lead as it sounds: moved by whole octaves to the instrument, swung, and with the
ending's held tonic note when the arrangement has one (the ending chord is the last marker). Times are
rebased so that the first chord (bar 1 of the piece) starts at tick 0, which drops a count-in bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import mido

from model.errors import InputError
from model.evaluation_sets import Sample
from model.midi import beats_per_bar, read_midi
from model.piece import TICKS_PER_QUARTER, Chord, Note, bar_ticks
from model.theory import TheoryError, parse_chord

LEAD_TRACK = "Lead"
TITLE_PREFIX = "jazzbot"
NOT_AN_ARRANGEMENT = (
    "this MIDI file is not a jazzbot arrangement (it needs a track named 'Lead' and chord markers on its "
    "first track), so its chords cannot be read back; make a new clip with /jazz."
)


@dataclass(frozen=True, slots=True)
class ArrangedClip:
    """What a clip's MIDI says: its lead line over its chords, and how it was played.

    ``key`` and ``style`` come from the conductor track's name (None when it is not jazzbot's), the
    meter (``beats_per_bar``) from its time signature, which also sets ``sample.bars``."""

    sample: Sample
    tempo: int
    key: str | None
    style: str | None
    beats_per_bar: int = 4


def _timed(track: mido.MidiTrack, scale: float) -> Iterator[tuple[int, mido.Message]]:
    """The track's messages with their absolute times in jazzbot ticks."""
    now = 0
    for message in track:
        now += message.time
        yield round(now * scale), message


def _length(track: mido.MidiTrack, scale: float) -> int:
    return round(sum(message.time for message in track) * scale)


def _lead_notes(track: mido.MidiTrack, scale: float, shift: int) -> tuple[Note, ...]:
    notes, sounding = [], dict[int, tuple[int, int]]()
    for tick, message in _timed(track, scale):
        if message.type == "note_on" and message.velocity > 0:
            sounding[message.note] = (tick, message.velocity)
        elif message.type in ("note_on", "note_off") and message.note in sounding:
            start, velocity = sounding.pop(message.note)
            notes.append(Note(message.note, start - shift, tick - start, velocity))
    return tuple(sorted(notes, key=lambda n: (n.start, -(n.pitch or 0))))


def _chords(markers: list[tuple[int, str]], shift: int, end: int) -> tuple[Chord, ...]:
    chords = []
    ends = [tick for tick, _ in markers[1:]] + [end]
    for (start, name), stop in zip(markers, ends, strict=True):
        try:
            symbol = parse_chord(name)
        except TheoryError:
            raise InputError(f"the chord marker '{name[:40]}' cannot be read; {NOT_AN_ARRANGEMENT}") from None
        chords.append(Chord(symbol, start - shift, stop - start, name))
    return tuple(chords)


def read_arrangement(data: bytes | mido.MidiFile) -> ArrangedClip:
    """The lead line, chords, tempo and key of an arrangement's MIDI (see the module doc).

    :class:`~model.errors.InputError` when the data is not MIDI (:func:`model.midi.read_midi`) or has no
    "Lead" track or no chord markers."""
    midi = read_midi(data)
    scale = TICKS_PER_QUARTER / midi.ticks_per_beat
    conductor = midi.tracks[0]
    markers = [(tick, m.text) for tick, m in _timed(conductor, scale) if m.type == "marker"]
    lead = next((track for track in midi.tracks if track.name == LEAD_TRACK), None)
    if lead is None or not markers:
        raise InputError(NOT_AN_ARRANGEMENT)
    shift = markers[0][0]
    end = max(_length(track, scale) for track in midi.tracks)
    beats = beats_per_bar(midi)
    bars = max(1, math.ceil((end - shift) / bar_ticks(beats)))
    tempo = next((m.tempo for m in conductor if m.type == "set_tempo"), mido.bpm2tempo(120))
    words = conductor.name.split()
    named = len(words) == 3 and words[0] == TITLE_PREFIX
    return ArrangedClip(
        Sample(_lead_notes(lead, scale, shift), _chords(markers, shift, end), bars),
        round(mido.tempo2bpm(tempo)),
        words[1] if named else None,
        words[2] if named else None,
        beats,
    )
