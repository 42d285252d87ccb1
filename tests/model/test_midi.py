"""MIDI written from pieces (tempo, named tracks, exact length) and the guarded reader."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

from model.errors import InputError
from model.midi import CHORDS_TRACK, MELODY_TRACK, piece_to_midi, read_midi, voice_chord
from model.piece import TICKS_PER_BAR, Chord, Note, Piece
from model.theory import Key, parse_chord


def _piece(bars: int = 2, tempo: int = 140) -> Piece:
    names = ["Dm7", "G7", "Cmaj7", "A7b9/C#"]
    chords = tuple(
        Chord(parse_chord(name), i * TICKS_PER_BAR // 2, TICKS_PER_BAR // 2, name)
        for i, name in enumerate(names[: bars * 2])
    )
    melody = (Note(62, 0, 480), Note(65, 480, 240), Note(69, 960, 960), Note(71, 1920, 1920))
    return Piece(melody[: bars * 2], chords, bars, tempo, Key(0), "ii-v-i", 7, 1.0, "test")


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    now, events = 0, []
    for message in track:
        now += message.time
        events.append((now, message))
    return events


def test_midi_has_tempo_named_tracks_and_exact_length() -> None:
    midi = read_midi(piece_to_midi(_piece(bars=2, tempo=140)))
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert [round(mido.tempo2bpm(t)) for t in tempos] == [140]
    names = [next(m.name for m in track if m.type == "track_name") for track in midi.tracks[1:]]
    assert names == [MELODY_TRACK, CHORDS_TRACK]
    for track in midi.tracks:
        events = _absolute(track)
        assert events[-1][1].type == "end_of_track"
        assert events[-1][0] == 2 * TICKS_PER_BAR


def test_melody_starts_at_zero_and_chords_are_held_blocks() -> None:
    midi = read_midi(piece_to_midi(_piece()))
    melody_on = [(t, m.note) for t, m in _absolute(midi.tracks[1]) if m.type == "note_on"]
    assert melody_on[0] == (0, 62)
    chord_events = _absolute(midi.tracks[2])
    first_block = [m.note for t, m in chord_events if m.type == "note_on" and t == 0]
    assert sorted(first_block) == voice_chord(_piece().chords[0])  # Dm7 sounds from beat 1
    released = [m.note for t, m in chord_events if m.type == "note_off" and t == TICKS_PER_BAR // 2]
    assert sorted(released) == sorted(first_block)


def test_voicings_sit_in_the_middle_and_keep_slash_basses() -> None:
    for chord in _piece().chords:
        pitches = voice_chord(chord)
        assert {p % 12 for p in pitches} >= chord.symbol.tones
        assert min(pitches) >= 36 and max(pitches) <= 84
    slash = voice_chord(_piece().chords[3])
    assert slash[0] % 12 == 1 and slash[0] < slash[1]  # C# under the A7b9


def test_same_piece_same_bytes() -> None:
    assert piece_to_midi(_piece()) == piece_to_midi(_piece())


def test_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "x.mid"
    path.write_bytes(piece_to_midi(_piece()))
    assert len(read_midi(path).tracks) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"RIFF1234WAVEfmt ", "not a MIDI file"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x10\x00\x00\x90", "damaged"),
        (b"MThd" + b"\x00" * 3_000_000, "bytes"),
        (
            b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x0a\x00\xff\x59\x02\x09\x00\x00\xff\x2f\x00",
            "damaged",
        ),
    ],
    ids=["empty", "not-midi", "truncated", "huge", "bad-key-signature"],
)
def test_bad_midi_is_an_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_midi(data)


def test_too_many_events_and_no_notes_are_refused() -> None:
    many = mido.MidiFile()
    many.tracks.append(mido.MidiTrack(mido.Message("note_on", note=60, velocity=64) for _ in range(500)))
    buffer = io.BytesIO()
    many.save(file=buffer)
    with pytest.raises(InputError, match="events"):
        read_midi(buffer.getvalue(), max_events=100)
    silent = mido.MidiFile()
    silent.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    buffer = io.BytesIO()
    silent.save(file=buffer)
    with pytest.raises(InputError, match="no notes"):
        read_midi(buffer.getvalue())


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_midi(tmp_path / "nope.mid")
