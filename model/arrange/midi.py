"""The parts written out as a type-1 General MIDI file: a conductor track and one track per player."""

from __future__ import annotations

import struct

import mido

from model.arrange.chart import Chart, Played
from model.arrange.drums import brushes
from model.arrange.instruments import (
    BASS,
    BASS_CHANNEL,
    DRUM_CHANNEL,
    DRUM_KITS,
    LEAD_CHANNEL,
    LEAD_INSTRUMENTS,
    PAN,
    PIANO,
    PIANO_CHANNEL,
)
from model.arrange.options import Arrangement, ArrangeOptions, TrackInfo
from model.piece import TICKS_PER_QUARTER, Piece


def _delta(value: int, out: bytearray) -> None:
    """Append ``value`` as a MIDI variable-length quantity."""
    if value < 0x80:
        out.append(value)
        return
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    out.extend(reversed(groups))


def _chunk(messages: list[mido.Message | mido.MetaMessage], notes: bytes = b"") -> bytes:
    """An ``MTrk`` chunk: ``messages`` (head), the pre-encoded ``notes``, and an end of track (the last
    of ``messages``). Encoding the notes here, not through ``mido.MidiFile.save``, halves the cost."""
    data = bytearray()
    for message in messages[:-1]:
        _delta(message.time, data)
        data.extend(message.bytes())
    data += notes
    _delta(messages[-1].time, data)
    data.extend(messages[-1].bytes())
    return b"MTrk" + struct.pack(">L", len(data)) + bytes(data)


_new_message = mido.Message.__new__


def _note_message(kind: str, channel: int, pitch: int, velocity: int, delta: int) -> mido.Message:
    """``mido.Message(kind, channel=, note=, velocity=, time=delta)`` without mido's keyword parsing
    and default-filling (~4x cheaper; a clip makes ~900): the same attributes in the same order."""
    message: mido.Message = _new_message(mido.Message)
    vars(message).update(type=kind, time=delta, channel=channel, note=pitch, velocity=velocity)
    return message


def _track(
    name: str, channel: int, program: int, notes: list[Played], end: int
) -> tuple[mido.MidiTrack, bytes]:
    """The track as mido objects and as the bytes of its ``MTrk`` chunk."""
    events = sorted(
        [(start, 1, pitch, velocity) for start, _, pitch, velocity in notes]
        + [(stop, 0, pitch, 0) for _, stop, pitch, _ in notes]
    )
    head = [
        mido.MetaMessage("track_name", name=name, time=0),
        mido.Message("program_change", channel=channel, program=program, time=0),
        mido.Message("control_change", channel=channel, control=10, value=PAN[name], time=0),
    ]
    messages = list(head)
    append = messages.append
    data = bytearray()
    on_status, off_status = 0x90 | channel, 0x80 | channel
    running = 0xC0 | channel  # the status of the last head message
    now = 0
    for tick, on, pitch, velocity in events:
        delta = tick - now
        if delta < 0x80:
            data.append(delta)
        elif delta < 0x4000:  # two bytes, as _delta writes them
            data.append(0x80 | delta >> 7)
            data.append(delta & 0x7F)
        else:
            _delta(delta, data)
        status = on_status if on else off_status
        if status != running:
            data.append(status)
            running = status
        data.append(pitch)
        data.append(velocity)
        # every value is in range by construction (mido's checks would cost ~3 ms per clip)
        append(_note_message("note_on" if on else "note_off", channel, pitch, velocity, delta))
        now = tick
    tail = mido.MetaMessage("end_of_track", time=end - now)
    messages.append(tail)
    return mido.MidiTrack(messages), _chunk([*head, tail], bytes(data))


def write(
    piece: Piece, options: ArrangeOptions, chart: Chart, parts: dict[str, list[Played]], shift: int
) -> Arrangement:
    """The arrangement of ``parts`` (already shifted by ``shift`` ticks of count-in)."""
    end = max((stop for notes in parts.values() for _, stop, _, _ in notes), default=shift)
    tempo = mido.bpm2tempo(piece.tempo)  # whole microseconds per beat, as players will read it
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name=f"jazzbot {piece.key.name} {options.style}", time=0),
            mido.MetaMessage("set_tempo", tempo=tempo, time=0),
            mido.MetaMessage("time_signature", numerator=piece.beats_per_bar, denominator=4, time=0),
        ]
    )
    now = 0
    for span in chart.spans:
        conductor.append(mido.MetaMessage("marker", text=span.name, time=span.start + shift - now))
        now = span.start + shift
    conductor.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    kit = DRUM_KITS["ballad" if brushes(options.style, piece.tempo) else options.style]
    layout = {
        "Lead": (LEAD_CHANNEL, LEAD_INSTRUMENTS[options.lead]),
        "Piano": (PIANO_CHANNEL, PIANO.program),
        "Bass": (BASS_CHANNEL, BASS.program),
        "Drums": (DRUM_CHANNEL, kit),
    }
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER)
    midi.tracks.append(conductor)
    chunks = [
        b"MThd" + struct.pack(">LHHH", 6, 1, 1 + len(layout), TICKS_PER_QUARTER),
        _chunk(list(conductor)),
    ]
    tracks = []
    for name, (channel, program) in layout.items():
        track, chunk = _track(name, channel, program, parts[name], end)
        midi.tracks.append(track)
        chunks.append(chunk)
        tracks.append(TrackInfo(name, program, channel, len(parts[name])))
    seconds = mido.tick2second(end, TICKS_PER_QUARTER, tempo)
    return Arrangement(b"".join(chunks), seconds, tuple(tracks), options, midi)
