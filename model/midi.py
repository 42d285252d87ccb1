"""Pieces to Standard MIDI Files with mido, and a guarded reader for MIDI that users upload.

Writing never touches music21 (building a music21 stream costs ~0.45 s per request). The file is
type 1: a conductor track (name, tempo, 4/4), a "Melody" track and a "Chords" track holding each
chord as a block voiced around the middle of the keyboard. Every track ends exactly on the last bar
line, so a 16-bar piece is 16 bars long in any player. Output is a pure function of the piece:
same piece, same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import mido
from mido.midifiles.meta import KeySignatureError

from model.errors import InputError
from model.piece import BEATS_PER_BAR, TICKS_PER_QUARTER, Chord, Piece
from model.theory import QUALITIES

MELODY_TRACK = "Melody"
CHORDS_TRACK = "Chords"
MELODY_CHANNEL, MELODY_PROGRAM = 0, 65  # General MIDI alto sax
CHORDS_CHANNEL, CHORDS_PROGRAM = 1, 0  # General MIDI acoustic grand piano
CHORD_VELOCITY = 64
CHORD_ROOT_LOW = 48  # chord roots sit in C3..B3; the voicing stacks upwards from the root
BASS_LOW = 36  # a slash chord's bass note sits in C2..B2

MAX_MIDI_BYTES = 2_000_000
MAX_MIDI_EVENTS = 200_000

# (absolute tick, order at that tick: note-offs before note-ons, message)
_Event = tuple[int, int, mido.Message]


def beats_per_bar(midi: mido.MidiFile) -> int:
    """Quarter-note beats in a bar: from the first track's time signature (4 without one)."""
    for message in midi.tracks[0] if midi.tracks else ():
        if message.type == "time_signature" and message.numerator > 0:
            return int(message.numerator * 4 // message.denominator) or BEATS_PER_BAR
    return BEATS_PER_BAR


def voice_chord(chord: Chord) -> list[int]:
    """MIDI pitches of a block voicing: each chord tone stacked just above the previous one."""
    root = CHORD_ROOT_LOW + chord.symbol.root % 12
    pitches = [root]
    for interval in QUALITIES[chord.symbol.quality].tones[1:]:
        pitch = root + interval % 12
        while pitch <= pitches[-1]:
            pitch += 12
        pitches.append(pitch)
    if chord.symbol.bass is not None and chord.symbol.bass != chord.symbol.root:
        pitches.insert(0, BASS_LOW + chord.symbol.bass % 12)
    return pitches


def _note_events(pitch: int, start: int, duration: int, velocity: int, channel: int) -> list[_Event]:
    return [
        (start, 1, mido.Message("note_on", note=pitch, velocity=velocity, channel=channel)),
        (start + duration, 0, mido.Message("note_off", note=pitch, velocity=0, channel=channel)),
    ]


def _track(name: str, channel: int, program: int, events: list[_Event], end: int) -> mido.MidiTrack:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.Message("program_change", program=program, channel=channel, time=0))
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1], e[2].bytes())):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    return track


def piece_to_midi(piece: Piece) -> bytes:
    """The piece as a type-1 MIDI file at 480 ticks per quarter, exactly ``piece.bars`` bars long."""
    end = piece.length_ticks
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name=f"jazzbot {piece.key.name} {piece.progression}", time=0),
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(piece.tempo), time=0),
            mido.MetaMessage("time_signature", numerator=piece.beats_per_bar, denominator=4, time=0),
            mido.MetaMessage("end_of_track", time=end),
        ]
    )
    melody: list[_Event] = []
    for note in piece.melody:
        if note.pitch is not None and note.start < end:
            length = min(note.duration, end - note.start)
            melody += _note_events(note.pitch, note.start, length, note.velocity, MELODY_CHANNEL)
    chords: list[_Event] = []
    for chord in piece.chords:
        if chord.start < end:
            length = min(chord.duration, end - chord.start)
            for pitch in voice_chord(chord):
                chords += _note_events(pitch, chord.start, length, CHORD_VELOCITY, CHORDS_CHANNEL)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER)
    midi.tracks.append(conductor)
    midi.tracks.append(_track(MELODY_TRACK, MELODY_CHANNEL, MELODY_PROGRAM, melody, end))
    midi.tracks.append(_track(CHORDS_TRACK, CHORDS_CHANNEL, CHORDS_PROGRAM, chords, end))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def read_midi(
    data: bytes | Path | mido.MidiFile, max_bytes: int = MAX_MIDI_BYTES, max_events: int = MAX_MIDI_EVENTS
) -> mido.MidiFile:
    """Parse MIDI from bytes or a file, refusing empty, oversized, corrupt or note-less input.

    An already parsed :class:`mido.MidiFile` (one jazzbot wrote itself, e.g. an arrangement's) skips the
    decoding, the costly part, but still gets the event and note checks."""
    if isinstance(data, mido.MidiFile):
        return _checked(data, max_events)
    if isinstance(data, Path):
        path = data
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise InputError(f"{path.name} is {size:,} bytes; MIDI files up to {max_bytes:,} bytes work.")
            data = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read MIDI file {path}: {error.strerror or error}") from None
    if not data:
        raise InputError("the MIDI file is empty; send a .mid file with notes in it.")
    if len(data) > max_bytes:
        raise InputError(f"the MIDI file is {len(data):,} bytes; files up to {max_bytes:,} bytes work.")
    if not data.startswith(b"MThd"):
        raise InputError("that is not a MIDI file (it does not start with 'MThd'); send a .mid file.")
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, KeySignatureError) as error:
        raise InputError(f"the MIDI file is damaged and cannot be read ({error}); export it again.") from None
    return _checked(midi, max_events)


def _checked(midi: mido.MidiFile, max_events: int) -> mido.MidiFile:
    events = sum(len(track) for track in midi.tracks)
    if events > max_events:
        raise InputError(f"the MIDI file has {events:,} events; files up to {max_events:,} events work.")
    notes = (m for track in midi.tracks for m in track if m.type == "note_on" and m.velocity > 0)
    if next(notes, None) is None:
        raise InputError("the MIDI file has no notes in it; send a .mid file with a melody.")
    return midi
