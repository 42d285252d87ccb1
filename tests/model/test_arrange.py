"""The band arrangement of real composed pieces, read back from the MIDI bytes with mido."""

from __future__ import annotations

import io
import itertools
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import mido
import pytest

from model.arrange import (
    BASS_HIGH,
    BASS_LOW,
    DEFAULT_TEMPI,
    LEAD_INSTRUMENTS,
    PIANO_HIGH,
    PIANO_LOW,
    STYLES,
    VOICINGS,
    ArrangeOptions,
    arrange,
)
from model.compose import Composer
from model.errors import InputError
from model.midi import voice_chord
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Piece
from model.theory import QUALITIES, ChordSymbol

BAR = TICKS_PER_BAR
BEAT = TICKS_PER_QUARTER
RIDE, CLOSED_HAT, PEDAL_HAT, SIDE_STICK, BRUSH_SWIRL, CRASH = 51, 42, 44, 37, 40, 49


@dataclass(frozen=True)
class Sounding:
    start: int
    end: int
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True)
class Parsed:
    midi: mido.MidiFile
    tracks: dict[str, mido.MidiTrack]
    notes: dict[str, list[Sounding]]

    def onsets(self, name: str, pitch: int | None = None) -> list[int]:
        return sorted({n.start for n in self.notes[name] if pitch is None or n.pitch == pitch})


def _notes(track: mido.MidiTrack) -> list[Sounding]:
    found: list[Sounding] = []
    sounding: dict[tuple[int, int], tuple[int, int]] = {}
    now = 0
    for message in track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[(message.channel, message.note)] = (now, message.velocity)
        elif message.type in ("note_on", "note_off"):
            start, velocity = sounding.pop((message.channel, message.note))
            found.append(Sounding(start, now, message.note, velocity, message.channel))
    assert not sounding, "every note is switched off"
    return sorted(found, key=lambda n: (n.start, n.pitch))


def parse(data: bytes) -> Parsed:
    midi = mido.MidiFile(file=io.BytesIO(data))
    tracks = {track.name: track for track in midi.tracks[1:]}
    return Parsed(midi, tracks, {name: _notes(track) for name, track in tracks.items()})


@pytest.fixture(scope="module")
def pieces(composer: Composer) -> list[Piece]:
    """Pieces over different harmony: two chords a bar, long chords, minor keys, odd qualities."""
    return [
        composer.compose(bars=16, tempo=160, key="Bb", progression="rhythm-changes", seed=1),
        composer.compose(bars=16, tempo=140, key="Ab", progression="all-the-things-you-are", seed=2),
        composer.compose(bars=12, tempo=120, key="Cm", progression="minor-blues", seed=3),
        composer.compose(bars=16, tempo=132, key="F", progression="blue-bossa", seed=4),
        composer.compose(bars=8, tempo=200, key="B", progression="giant-steps", seed=5),
    ]


@pytest.fixture(scope="module")
def piece(pieces: list[Piece]) -> Piece:
    return pieces[0]


def chord_at(piece: Piece, tick: int) -> Chord:
    return next(c for c in reversed(piece.chords) if c.start <= tick)


def all_arrangements(pieces: list[Piece]) -> Iterator[tuple[Piece, str, Parsed]]:
    for piece in pieces:
        for style in STYLES:
            yield piece, style, parse(arrange(piece, ArrangeOptions(style=style, ending=False)).midi)


@pytest.mark.parametrize("style", STYLES)
def test_each_instrument_has_its_own_track_program_and_channel(piece: Piece, style: str) -> None:
    arrangement = arrange(piece, ArrangeOptions(style=style, lead="trumpet"))
    parsed = parse(arrangement.midi)
    assert parsed.midi.type == 1 and parsed.midi.ticks_per_beat == 480
    assert [track.name for track in parsed.midi.tracks[1:]] == ["Lead", "Piano", "Bass", "Drums"]
    expected = {
        "Lead": (0, 56),
        "Piano": (1, 0),
        "Bass": (2, 32),
        "Drums": (9, 40 if style == "ballad" else 32),
    }
    for info in arrangement.tracks:
        channel, program = expected[info.name]
        changes = [m for m in parsed.tracks[info.name] if m.type == "program_change"]
        assert [(m.channel, m.program) for m in changes] == [(channel, program)]
        assert {n.channel for n in parsed.notes[info.name]} == {channel}
        assert (info.channel, info.program, info.notes) == (channel, program, len(parsed.notes[info.name]))
        assert info.notes > 0


def test_every_lead_instrument_plays_the_melody_on_its_program(piece: Piece) -> None:
    melody = [n for n in piece.melody if n.pitch is not None]
    for name, program in LEAD_INSTRUMENTS.items():
        parsed = parse(arrange(piece, ArrangeOptions(lead=name, swing=0.5, ending=False)).midi)
        assert [m.program for m in parsed.tracks["Lead"] if m.type == "program_change"] == [program]
        lead = parsed.notes["Lead"]
        assert [n.start for n in lead] == [n.start for n in melody]
        shifts = {n.pitch - m.pitch for n, m in zip(lead, melody, strict=True) if m.pitch is not None}
        assert len(shifts) == 1 and shifts.pop() % 12 == 0  # the tune itself, at most moved by octaves


def test_conductor_track_has_tempo_metre_and_a_marker_per_chord(piece: Piece) -> None:
    parsed = parse(arrange(piece, ArrangeOptions(ending=False)).midi)
    conductor = parsed.midi.tracks[0]
    assert [m.tempo for m in conductor if m.type == "set_tempo"] == [mido.bpm2tempo(piece.tempo)]
    assert [(m.numerator, m.denominator) for m in conductor if m.type == "time_signature"] == [(4, 4)]
    markers, now = [], 0
    for message in conductor:
        now += message.time
        if message.type == "marker":
            markers.append((now, message.text))
    assert markers == [(c.start, c.name) for c in piece.chords]


def test_walking_bass_stays_in_range_and_plays_a_chord_tone_on_every_chord(pieces: list[Piece]) -> None:
    for piece, style, parsed in all_arrangements(pieces):
        bass = parsed.notes["Bass"]
        assert all(BASS_LOW <= n.pitch <= BASS_HIGH for n in bass), style
        starts = {n.start: n.pitch for n in bass}
        for chord in piece.chords:
            allowed = chord.symbol.tones | {chord.symbol.bass}
            assert starts[chord.start] % 12 in allowed, (style, chord.name, starts[chord.start])


def test_swing_bass_walks_in_quarters_and_approaches_each_new_chord(pieces: list[Piece]) -> None:
    for piece in pieces:
        bass = parse(arrange(piece, ArrangeOptions(ending=False)).midi).notes["Bass"]
        assert [n.start for n in bass] == list(range(0, piece.bars * BAR, BEAT))
        pitches = [n.pitch for n in bass]
        assert all(a != b for a, b in itertools.pairwise(pitches))  # a line, not a drone
        for chord, following in itertools.pairwise(piece.chords):
            if chord.duration < 2 * BEAT:
                continue
            beat_before = pitches[following.start // BEAT - 1]
            arrival = pitches[following.start // BEAT]
            # a half step or a scale step either side, or the fifth above / fourth below
            assert abs(beat_before - arrival) in (1, 2, 5, 7), (chord.name, following.name)


def test_ballad_bass_is_a_two_feel_and_bossa_bass_plays_root_and_fifth(piece: Piece) -> None:
    ballad = parse(arrange(piece, ArrangeOptions(style="ballad", ending=False)).midi).notes["Bass"]
    assert len(ballad) <= 3 * piece.bars
    assert all(n.end - n.start >= BEAT - 40 for n in ballad)
    bossa = parse(arrange(piece, ArrangeOptions(style="bossa", ending=False)).midi).notes["Bass"]
    for chord in piece.chords:
        root = next(n.pitch for n in bossa if n.start == chord.start)
        others = [n.pitch for n in bossa if chord.start < n.start < chord.end - BEAT]
        assert all((p - root) % 12 in (6, 7, 8) for p in others), chord.name  # the fifth (b5/#5 on dim/aug)


def _voicings(piece: Piece, parsed: Parsed) -> list[tuple[Chord, tuple[int, ...]]]:
    """(chord played, sorted pitches) per piano hit; a hit an eighth before a chord anticipates it."""
    hits: dict[int, list[int]] = {}
    for note in parsed.notes["Piano"]:
        hits.setdefault(note.start, []).append(note.pitch)
    return [(chord_at(piece, start + BEAT // 2), tuple(sorted(p))) for start, p in sorted(hits.items())]


def test_piano_plays_rootless_voicings_of_each_chord_in_the_middle_register(pieces: list[Piece]) -> None:
    for piece in pieces:
        for chord, pitches in _voicings(piece, parse(arrange(piece, ArrangeOptions(ending=False)).midi)):
            classes = {p % 12 for p in pitches}
            assert len(pitches) >= 3
            assert pitches[0] % 12 != chord.symbol.root, (chord.name, pitches)  # never a root-position chord
            assert classes <= chord.symbol.scale, (chord.name, pitches)
            third = {3, 4, 5} & set(QUALITIES[chord.symbol.quality].tones)
            assert {(chord.symbol.root + i) % 12 for i in third} <= classes, (chord.name, pitches)
            assert pitches[0] >= PIANO_LOW - 4 and pitches[-1] <= PIANO_HIGH + 4


def _travel(before: Sequence[int], after: Sequence[int]) -> float:
    """Mean semitones a voice moves: voice by voice, or to the nearest old note when sizes differ."""
    if len(before) == len(after):
        return sum(abs(x - y) for x, y in zip(sorted(before), sorted(after), strict=True)) / len(after)
    return sum(min(abs(x - y) for y in before) for x in after) / len(after)


def test_piano_voicings_are_voice_led(pieces: list[Piece]) -> None:
    """Each voice moves about a step per chord change: far less than block chords from the root."""
    ours, blocks = [], []
    for piece in pieces:
        played = _voicings(piece, parse(arrange(piece, ArrangeOptions(ending=False)).midi))
        changes = [(a, b) for a, b in itertools.pairwise(played) if a[0].symbol != b[0].symbol]
        ours += [_travel(before, after) for (_, before), (_, after) in changes]
        blocks += [_travel(voice_chord(a), voice_chord(b)) for a, b in itertools.pairwise(piece.chords)]
    assert statistics.mean(ours) < 2.5
    assert statistics.mean(ours) < statistics.mean(blocks)


def test_every_chord_of_the_progression_is_comped(pieces: list[Piece]) -> None:
    for piece, style, parsed in all_arrangements(pieces):
        onsets = parsed.onsets("Piano")
        for chord in piece.chords:
            assert any(chord.start - BEAT // 2 <= t < chord.end for t in onsets), (style, chord.name)


def test_voicing_table_covers_every_quality_without_a_wrong_note() -> None:
    assert set(VOICINGS) == set(QUALITIES)
    for quality, forms in VOICINGS.items():
        symbol = ChordSymbol(0, quality)
        for form in forms:
            assert {i % 12 for i in form} <= symbol.scale, quality
            assert form[0] % 12 != 0, quality  # rootless: never the root at the bottom
            assert max(form) - min(form) <= 12, quality


def test_swing_ratio_moves_the_offbeat_eighths(piece: Piece) -> None:
    def offsets(swing: float, name: str, pitch: int | None = None) -> set[int]:
        parsed = parse(arrange(piece, ArrangeOptions(swing=swing, ending=False)).midi)
        return {t % BEAT for t in parsed.onsets(name, pitch)}

    assert offsets(0.5, "Drums", RIDE) == {0, 240}
    assert offsets(0.7, "Drums", RIDE) == {0, 336}
    assert offsets(0.5, "Piano") <= {0, 240}
    assert 336 in offsets(0.7, "Piano") and 240 not in offsets(0.7, "Piano")
    straight, swung = offsets(0.5, "Lead"), offsets(0.7, "Lead")
    assert 240 in straight and 336 in swung


def test_bossa_is_straight_with_hi_hat_eighths_and_cross_stick(piece: Piece) -> None:
    parsed = parse(arrange(piece, ArrangeOptions(style="bossa", ending=False)).midi)
    assert all(t % 240 == 0 for name in ("Piano", "Bass", "Drums") for t in parsed.onsets(name))
    assert parsed.onsets("Drums", CLOSED_HAT) == list(range(0, piece.bars * BAR, 240))
    assert len(parsed.onsets("Drums", SIDE_STICK)) == 5 * piece.bars // 2
    assert not parsed.onsets("Drums", RIDE)


def test_swing_drums_ride_with_hi_hat_on_two_and_four_and_ballad_uses_brushes(piece: Piece) -> None:
    swing = parse(arrange(piece, ArrangeOptions(ending=False)).midi)
    assert {t % BAR for t in swing.onsets("Drums", PEDAL_HAT)} == {BEAT, 3 * BEAT}
    assert len(swing.onsets("Drums", RIDE)) >= 5 * piece.bars
    ballad = parse(arrange(piece, ArrangeOptions(style="ballad", ending=False)).midi)
    assert len(ballad.onsets("Drums", BRUSH_SWIRL)) == 2 * piece.bars
    assert not ballad.onsets("Drums", RIDE)


def test_count_in_clicks_four_beats_and_shifts_the_music_by_a_bar(piece: Piece) -> None:
    plain = arrange(piece, ArrangeOptions(ending=False))
    counted = arrange(piece, ArrangeOptions(ending=False, count_in=True))
    before, after = parse(plain.midi), parse(counted.midi)
    for name in ("Lead", "Piano", "Bass"):
        assert [(n.start + BAR, n.pitch) for n in before.notes[name]] == [
            (n.start, n.pitch) for n in after.notes[name]
        ]
    assert [t for t in after.onsets("Drums") if t < BAR] == [0, BEAT, 2 * BEAT, 3 * BEAT]
    assert counted.seconds == pytest.approx(plain.seconds + 4 * 60 / piece.tempo)
    markers = [m for m in after.midi.tracks[0] if m.type == "marker"]
    assert markers[0].time == BAR


def test_ending_holds_the_tonic_chord_over_the_bass_root_with_a_cymbal(pieces: list[Piece]) -> None:
    piece = pieces[2]  # minor blues in C minor: ends on the tonic minor
    plain = arrange(piece, ArrangeOptions(ending=False))
    ended = arrange(piece, ArrangeOptions(ending=True))
    parsed = parse(ended.midi)
    end = piece.bars * BAR
    assert ended.seconds > plain.seconds + 3 * 60 / piece.tempo
    final = [n for n in parsed.notes["Piano"] if n.start >= end]
    assert len(final) >= 3 and all(n.end - n.start >= 2 * BEAT for n in final)
    bass = [n for n in parsed.notes["Bass"] if n.start == end]
    assert (
        len(bass) == 1 and bass[0].pitch % 12 == piece.key.tonic and bass[0].end - bass[0].start >= 2 * BEAT
    )
    assert CRASH in {n.pitch for n in parsed.notes["Drums"] if n.start == end}
    assert [m.text for m in parsed.midi.tracks[0] if m.type == "marker"][-1].startswith("C")


def test_seconds_is_the_time_of_the_last_note_off(pieces: list[Piece]) -> None:
    for piece in pieces[:2]:
        for options in (ArrangeOptions(), ArrangeOptions(style="ballad", count_in=True, ending=False)):
            arrangement = arrange(piece, options)
            parsed = parse(arrangement.midi)
            last = max(n.end for notes in parsed.notes.values() for n in notes)
            assert arrangement.seconds == pytest.approx(last / BEAT * 60 / piece.tempo, rel=1e-5)
            assert parsed.midi.length == pytest.approx(arrangement.seconds)


def test_same_seed_same_bytes_and_other_seeds_other_arrangements(piece: Piece) -> None:
    first = arrange(piece, ArrangeOptions(seed=11))
    assert arrange(piece, ArrangeOptions(seed=11)).midi == first.midi
    assert len({arrange(piece, ArrangeOptions(seed=seed)).midi for seed in range(11, 16)}) == 5
    default = arrange(piece)
    assert default.midi == arrange(piece, ArrangeOptions(seed=piece.seed)).midi
    assert default.options.seed == piece.seed and default.options.swing == 0.62


def test_lead_sits_on_top_of_the_band(pieces: list[Piece]) -> None:
    for _, style, parsed in all_arrangements(pieces):
        lead = statistics.mean(n.velocity for n in parsed.notes["Lead"])
        assert lead > statistics.mean(n.velocity for n in parsed.notes["Piano"]) + 20, style
        assert lead > statistics.mean(n.velocity for n in parsed.notes["Drums"]), style


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"style": "polka"}, "swing, ballad, bossa"),
        ({"style": 3}, "swing, ballad, bossa"),
        ({"lead": "kazoo"}, "tenor sax"),
        ({"swing": 0.9}, "0.5"),
        ({"swing": 0.4}, "0.75"),
        ({"swing": float("nan")}, "swing"),
        ({"swing": True}, "swing"),
        ({"count_in": "yes"}, "true or false"),
        ({"ending": 1}, "true or false"),
        ({"seed": -1}, "whole number"),
        ({"seed": 1.5}, "whole number"),
    ],
)
def test_bad_options_are_input_errors_that_say_what_works(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ArrangeOptions(**options)


def test_names_are_matched_loosely_and_defaults_cover_every_style() -> None:
    options = ArrangeOptions(style=" Bossa ", lead="Jazz Guitar")
    assert (options.style, options.lead, options.swing_ratio) == ("bossa", "jazz guitar", 0.5)
    assert set(DEFAULT_TEMPI) == set(STYLES)
    general_midi = {"tenor sax": 66, "alto sax": 65, "trumpet": 56, "clarinet": 71, "flute": 73}
    general_midi |= {"jazz guitar": 26, "vibraphone": 11, "piano": 0}
    assert general_midi == LEAD_INSTRUMENTS
