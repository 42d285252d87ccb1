"""The band arrangement of real composed pieces, read back from the MIDI bytes with mido."""

from __future__ import annotations

import dataclasses
import io
import itertools
import random
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
    LEADS,
    PIANO_HIGH,
    PIANO_LOW,
    STYLES,
    STYLES_IN,
    TAG_BARS,
    VOICINGS,
    Arrangement,
    ArrangeOptions,
    arrange,
    swing_for_tempo,
)
from model.arrange.feel import swing_table, swing_tick, swung
from model.arrange.instruments import LINE_SPAN
from model.arrange.lead import line_shift, place
from model.arrange.midi import _note_message
from model.arrange.piano import SHELL_FLOOR
from model.arrange_metrics import (
    Counts,
    Heard,
    drum_patterns,
    lead_offsets_ms,
    melody_pitches,
    outside,
    parts,
    sample,
)
from model.compose import DEFAULT_HIGH, DEFAULT_LOW, Composer, ComposeRequest
from model.errors import InputError
from model.midi import voice_chord
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Piece
from model.theory import QUALITIES, ChordSymbol
from model.tunes import pick_tune

BAR = TICKS_PER_BAR
BEAT = TICKS_PER_QUARTER
RIDE, CLOSED_HAT, OPEN_HAT, PEDAL_HAT, SIDE_STICK, BRUSH_SWIRL, CRASH, KICK = 51, 42, 46, 44, 37, 40, 49, 36
GRID = BEAT // 2  # micro-timing moves onsets a few ms: checks of a position snap to the eighth


def snapped(tick: int, step: int = GRID) -> int:
    return round(tick / step) * step


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
        for style in STYLES_IN[4]:
            yield piece, style, parse(arrange(piece, ArrangeOptions(style=style, ending=False)).midi)


@pytest.mark.parametrize("style", STYLES_IN[4])
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
    melody = [(n.start, n.pitch) for n in piece.melody if n.pitch is not None]
    for name, program in LEAD_INSTRUMENTS.items():
        parsed = parse(arrange(piece, ArrangeOptions(lead=name, swing=0.5, ending=False)).midi)
        assert [m.program for m in parsed.tracks["Lead"] if m.type == "program_change"] == [program]
        lead = sorted(parsed.notes["Lead"], key=lambda n: n.start)
        ms_per_tick = 60_000 / (piece.tempo * BEAT)
        assert len(lead) == len(melody)
        assert all(
            abs(n.start - start) * ms_per_tick < 60 for n, (start, _) in zip(lead, melody, strict=True)
        )
        assert all((n.pitch - pitch) % 12 == 0 for n, (_, pitch) in zip(lead, melody, strict=True))  # octaves
        assert all(LEADS[name].low <= n.pitch <= LEADS[name].high for n in lead)


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
        starts = {snapped(n.start): n.pitch for n in bass}
        for chord in piece.chords:
            allowed = chord.symbol.tones | {chord.symbol.bass}
            assert starts[chord.start] % 12 in allowed, (style, chord.name, starts[chord.start])


def test_swing_bass_walks_in_quarters_and_approaches_each_new_chord(pieces: list[Piece]) -> None:
    for piece in pieces:
        bass = parse(arrange(piece, ArrangeOptions(ending=False)).midi).notes["Bass"]
        assert [snapped(n.start) for n in bass] == list(range(0, piece.bars * BAR, BEAT))
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
        root = next(n.pitch for n in bossa if snapped(n.start) == chord.start)
        others = [n.pitch for n in bossa if chord.start < snapped(n.start) < chord.end - BEAT]
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
            assert len(pitches) >= 2  # two: the guide-tone shell under a low lead
            assert pitches[0] % 12 != chord.symbol.root, (chord.name, pitches)  # never a root-position chord
            assert classes <= chord.symbol.scale, (chord.name, pitches)
            third = {3, 4, 5} & set(QUALITIES[chord.symbol.quality].tones)
            if len(pitches) == 2:  # a shell holds the 3rd itself (a 7#9's #9 need not sound)
                third = {VOICINGS[chord.symbol.quality][0][0]}
            assert {(chord.symbol.root + i) % 12 for i in third} <= classes, (chord.name, pitches)
            floor = min(SHELL_FLOOR.values()) if len(pitches) == 2 else PIANO_LOW - 4
            assert pitches[0] >= floor and pitches[-1] <= PIANO_HIGH + 4


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


def near(offset: int, targets: set[int], tolerance: int) -> bool:
    """Whether ``offset`` (ticks into a beat) lies within ``tolerance`` of one of ``targets``."""
    return any(min(abs(offset - t), BEAT - abs(offset - t)) <= tolerance for t in targets)


def test_swing_ratio_moves_the_offbeat_eighths(piece: Piece) -> None:
    def offsets(swing: float, name: str, pitch: int | None = None) -> list[int]:
        parsed = parse(arrange(piece, ArrangeOptions(swing=swing, ending=False)).midi)
        return [t % BEAT for t in parsed.onsets(name, pitch)]

    def offbeat(ticks: list[int]) -> float:
        return statistics.median(t for t in ticks if BEAT // 4 < t < BEAT * 7 // 8)

    assert all(near(t, {0, 240}, 12) for t in offsets(0.5, "Drums", RIDE))  # the drums keep time
    assert all(near(t, {0, 336}, 12) for t in offsets(0.7, "Drums", RIDE))
    assert any(near(t, {336}, 12) for t in offsets(0.7, "Drums", RIDE))
    assert all(near(t, {0, 240}, 40) for t in offsets(0.5, "Piano"))
    assert offbeat(offsets(0.7, "Piano")) == pytest.approx(336, abs=20)
    assert offbeat(offsets(0.5, "Lead")) == pytest.approx(240, abs=25)
    assert offbeat(offsets(0.7, "Lead")) == pytest.approx(336, abs=25)


@pytest.mark.parametrize("ratio", [0.54, 0.62, 2 / 3, 0.68])
def test_the_swing_table_moves_every_tick_as_swing_tick_does(ratio: float) -> None:
    table = swing_table(ratio)
    assert len(table) == BEAT and table is swing_table(ratio)
    assert table == tuple(swing_tick(offset, ratio) for offset in range(BEAT))
    rng = random.Random(3)
    notes = [
        (start, start + rng.randrange(1, 2 * BEAT), 60, 80) for start in rng.sample(range(64 * BEAT), 300)
    ]
    keep = frozenset({3, 17})
    expected = []
    for start, end, pitch, velocity in notes:
        moved = [t if t // BEAT in keep else swing_tick(t, ratio) for t in (start, end)]
        expected.append((moved[0], max(moved[0] + 1, moved[1]), pitch, velocity))
    assert swung(notes, ratio, keep) == expected


def test_default_swing_is_wider_when_slow_and_straighter_when_fast() -> None:
    ratios = [swing_for_tempo("swing", tempo) for tempo in (60, 72, 120, 160, 200, 240, 300)]
    assert ratios == sorted(ratios, reverse=True) and len(set(ratios)) == len(ratios)
    assert ratios[0] <= 0.7 and ratios[-1] >= 0.52
    assert swing_for_tempo("bossa", 72) == swing_for_tempo("bossa", 240) == 0.5


def _fill_bars(bars: int) -> set[int]:
    return {bar for bar in range(bars - 1) if bar % 8 == 7}


def test_bossa_is_straight_with_hi_hat_eighths_and_cross_stick(piece: Piece) -> None:
    parsed = parse(arrange(piece, ArrangeOptions(style="bossa", ending=False)).midi)
    sixteenth = BEAT // 4  # straight eighths, and straight sixteenths in the fills
    offsets = [t % sixteenth for name in ("Piano", "Bass", "Drums") for t in parsed.onsets(name)]
    assert all(min(t, sixteenth - t) <= 40 for t in offsets)
    hats = {snapped(t) for key in (CLOSED_HAT, OPEN_HAT) for t in parsed.onsets("Drums", key)}
    sticks = {snapped(t) for t in parsed.onsets("Drums", SIDE_STICK)}
    for bar in set(range(piece.bars)) - _fill_bars(piece.bars):
        at = bar * BAR
        assert set(range(at, at + BAR, 240)) <= hats, bar
        assert {at + t for t in ((0, 720, 1440), (480, 1200))[bar % 2]} <= sticks, bar  # the clave figure
    assert not parsed.onsets("Drums", RIDE)


def test_swing_drums_ride_with_hi_hat_on_two_and_four_and_ballad_uses_brushes(piece: Piece) -> None:
    swing = parse(arrange(piece, ArrangeOptions(ending=False)).midi)
    assert {snapped(t) % BAR for t in swing.onsets("Drums", PEDAL_HAT)} == {BEAT, 3 * BEAT}
    assert len(swing.onsets("Drums", RIDE)) >= 4 * piece.bars
    ballad = parse(arrange(piece, ArrangeOptions(style="ballad", ending=False)).midi)
    assert piece.bars <= len(ballad.onsets("Drums", BRUSH_SWIRL)) <= 2 * piece.bars
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


def test_ending_holds_the_tonic_chord_over_the_bass_root_with_a_hit_a_roll_and_a_cut_off(
    pieces: list[Piece],
) -> None:
    piece = pieces[2]  # minor blues in C minor: ends on the tonic minor
    plain = arrange(piece, ArrangeOptions(ending=False))
    ended = arrange(piece, ArrangeOptions(ending=True))
    parsed = parse(ended.midi)
    end = piece.bars * BAR
    assert ended.seconds > plain.seconds + 3 * 60 / piece.tempo
    final = [n for n in parsed.notes["Piano"] if snapped(n.start) >= end]
    assert len(final) >= 3 and all(n.end - n.start >= 2 * BEAT for n in final)
    bass = [n for n in parsed.notes["Bass"] if snapped(n.start) == end]
    assert (
        len(bass) == 1 and bass[0].pitch % 12 == piece.key.tonic and bass[0].end - bass[0].start >= 2 * BEAT
    )
    drums = [n for n in parsed.notes["Drums"] if n.start >= end - GRID]
    assert {CRASH, KICK} <= {n.pitch for n in drums if snapped(n.start) == end}  # the hit ...
    roll = [n.velocity for n in drums if n.pitch == RIDE]
    assert len(roll) >= 8 and roll[-1] > roll[0] + 20  # ... a ride roll that swells ...
    cut = max(n.start for n in drums if n.pitch == CRASH)
    assert cut > end + 2 * BEAT  # ... and the cut-off, where the band lets go
    held = [n for name in ("Lead", "Piano", "Bass") for n in parsed.notes[name] if snapped(n.end) > end]
    assert held and all(abs(n.end - cut) <= BEAT // 2 for n in held)
    assert [m.text for m in parsed.midi.tracks[0] if m.type == "marker"][-1].startswith("C")


def test_a_tag_plays_the_last_two_bars_again_before_the_final_chord(pieces: list[Piece]) -> None:
    piece = pieces[0]
    plain = parse(arrange(piece, ArrangeOptions()).midi)
    tagged = parse(arrange(piece, ArrangeOptions(tag=True)).midi)
    end = piece.bars * BAR

    def markers(parsed: Parsed) -> list[tuple[int, str]]:
        found, now = [], 0
        for message in parsed.midi.tracks[0]:
            now += message.time
            if message.type == "marker":
                found.append((now, message.text))
        return found

    cadence = [(t, name) for t, name in markers(plain) if end - TAG_BARS * BAR <= t < end]
    repeated = [(t - TAG_BARS * BAR, name) for t, name in markers(tagged) if end <= t < end + TAG_BARS * BAR]
    assert repeated == cadence and cadence
    assert markers(tagged)[-1][1] == markers(plain)[-1][1]  # still ends on the tonic
    melody = [
        n.pitch for n in plain.notes["Lead"] if end - TAG_BARS * BAR <= snapped(n.start, BEAT // 4) < end
    ]
    again = [
        n.pitch for n in tagged.notes["Lead"] if end <= snapped(n.start, BEAT // 4) < end + TAG_BARS * BAR
    ]
    assert again == melody  # the same pitches: the tag keeps the octaves its bars had
    with pytest.raises(InputError, match="ending"):
        ArrangeOptions(tag=True, ending=False)


def test_seconds_is_the_time_of_the_last_note_off(pieces: list[Piece]) -> None:
    for piece in pieces[:2]:
        for options in (ArrangeOptions(), ArrangeOptions(style="ballad", count_in=True, ending=False)):
            arrangement = arrange(piece, options)
            parsed = parse(arrangement.midi)
            last = max(n.end for notes in parsed.notes.values() for n in notes)
            assert arrangement.seconds == pytest.approx(last / BEAT * 60 / piece.tempo, rel=1e-5)
            assert parsed.midi.length == pytest.approx(arrangement.seconds)


def test_the_parsed_midi_is_what_its_bytes_read_as(pieces: list[Piece]) -> None:
    """The mido objects the renderer and the piano roll read are the bytes, message for message."""
    for piece in pieces[:2]:
        for options in (ArrangeOptions(), ArrangeOptions(style="bossa", count_in=True, lead="jazz guitar")):
            arrangement = arrange(piece, options)
            read = mido.MidiFile(file=io.BytesIO(arrangement.midi))
            assert len(read.tracks) == len(arrangement.parsed.tracks) == 5
            for made, back in zip(arrangement.parsed.tracks, read.tracks, strict=True):
                assert made.name == back.name and list(made) == list(back)
                assert [vars(m) for m in made] == [vars(m) for m in back]  # same attributes, same order
                assert [m.bytes() for m in made] == [m.bytes() for m in back]


@pytest.mark.parametrize(
    ("kind", "channel", "pitch", "velocity", "delta"),
    [("note_on", 0, 60, 90, 0), ("note_off", 9, 42, 0, 479), ("note_on", 15, 127, 1, 100_000)],
)
def test_a_note_message_made_directly_is_the_one_mido_makes(
    kind: str, channel: int, pitch: int, velocity: int, delta: int
) -> None:
    made = _note_message(kind, channel, pitch, velocity, delta)
    expected = mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=delta)
    assert type(made) is mido.Message and made == expected and repr(made) == repr(expected)
    assert list(vars(made).items()) == list(vars(expected).items())
    assert made.bytes() == expected.bytes()


def test_same_seed_same_bytes_and_other_seeds_other_arrangements(piece: Piece) -> None:
    first = arrange(piece, ArrangeOptions(seed=11))
    assert arrange(piece, ArrangeOptions(seed=11)).midi == first.midi
    assert len({arrange(piece, ArrangeOptions(seed=seed)).midi for seed in range(11, 16)}) == 5
    default = arrange(piece)
    assert default.midi == arrange(piece, ArrangeOptions(seed=piece.seed)).midi
    assert default.options.seed == piece.seed and default.options.swing == swing_for_tempo(
        "swing", piece.tempo
    )


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
        ({"tag": "yes"}, "true or false"),
        ({"seed": -1}, "whole number"),
        ({"seed": 1.5}, "whole number"),
    ],
)
def test_bad_options_are_input_errors_that_say_what_works(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ArrangeOptions(**options)


def test_names_are_matched_loosely_and_defaults_cover_every_style() -> None:
    options = ArrangeOptions(style=" Bossa ", lead="Jazz Guitar")
    assert (options.style, options.lead) == ("bossa", "jazz guitar")
    assert set(DEFAULT_TEMPI) == set(STYLES)
    general_midi = {"tenor sax": 66, "alto sax": 65, "soprano sax": 64, "trumpet": 56, "trombone": 57}
    general_midi |= {"clarinet": 71, "flute": 73}
    general_midi |= {"jazz guitar": 26, "vibraphone": 11, "piano": 0}
    assert general_midi == LEAD_INSTRUMENTS


# --- figures over many arrangements (model.arrange_metrics defines them; docs/MODEL.md quotes them) ---

Sampled = list[tuple[Piece, ArrangeOptions, Arrangement]]


@pytest.fixture(scope="module")
def sampled(composer: Composer) -> Sampled:
    """42 pieces of 16 bars: every style, lead instrument, several keys, tempi and progressions."""
    return [(piece, options, arrange(piece, options)) for piece, options in sample(composer, 42)]


def test_the_lead_sits_above_the_comping_and_clear_of_it(sampled: Sampled) -> None:
    counts, tenor = Counts(), Counts()  # the tenor (the bot's default) sits lowest, nearest the piano
    for _, options, arrangement in sampled:
        counts.add(parts(arrangement))
        if options.lead == "tenor sax":
            tenor.add(parts(arrangement))
    assert counts.lead > 1000 and tenor.lead > 200
    for figures in (counts, tenor):
        assert figures.above / figures.lead >= 0.55
        assert figures.covered_above / figures.covered >= 0.55  # also where the piano does play
        assert figures.clash / figures.lead <= 0.22


def test_every_part_stays_inside_its_instruments_range(sampled: Sampled) -> None:
    for _, options, arrangement in sampled:
        assert all(bad == 0 for bad, _ in outside(parts(arrangement), options.lead).values()), options


def test_ballad_and_bossa_drum_bars_vary(sampled: Sampled) -> None:
    for style in ("ballad", "bossa", "swing"):
        distinct = bars = 0
        for piece, options, arrangement in sampled:
            if options.style == style:
                found, count = drum_patterns(parts(arrangement)["Drums"], 0, piece.bars)
                distinct, bars = distinct + found, bars + count
        assert distinct / bars >= 0.4, style


def test_each_player_has_its_own_micro_timing(sampled: Sampled) -> None:
    lead: list[float] = []
    bass: list[float] = []
    drums: list[float] = []
    for piece, _, arrangement in sampled:
        lead += lead_offsets_ms(piece, arrangement)
        ms_per_tick = 60_000 / (piece.tempo * BEAT)
        heard = parts(arrangement)
        on_beats = [n.start - snapped(n.start, BEAT) for n in heard["Bass"] if n.start > BEAT]
        bass += [ticks * ms_per_tick for ticks in on_beats if abs(ticks) < BEAT // 8]
        beats = [n for n in heard["Drums"] if n.pitch == PEDAL_HAT]
        drums += [(n.start - snapped(n.start, BEAT)) * ms_per_tick for n in beats]
    assert 10 <= statistics.pstdev(lead) <= 25  # a soloist's spread around the grid
    assert -15 < statistics.mean(bass) < -3  # the bass pushes, slightly ahead of the beat
    assert statistics.pstdev(drums) < 4  # the drums keep time


def test_the_same_seed_gives_the_same_feel(piece: Piece) -> None:
    timings = {parse(arrange(piece, ArrangeOptions(seed=5)).midi).onsets("Lead")[5] for _ in range(3)}
    assert len(timings) == 1


def test_a_line_wider_than_the_instrument_moves_by_phrase_and_never_leaves_its_range(piece: Piece) -> None:
    """Every other phrase two octaves up: no single octave shift holds the line on any lead but the piano."""
    notes = sorted((n for n in piece.melody if n.pitch is not None), key=lambda n: n.start)
    phrase, wide, previous_end = 0, [], 0
    for note in notes:
        if note.start - previous_end >= BEAT:
            phrase += 1
        previous_end = note.end
        wide.append(dataclasses.replace(note, pitch=(note.pitch or 0) + 24 * (phrase % 2)))
    stretched = dataclasses.replace(piece, melody=tuple(wide))
    for name, lead in LEADS.items():
        heard = parse(arrange(stretched, ArrangeOptions(lead=name, ending=False)).midi).notes["Lead"]
        assert all(lead.low <= n.pitch <= lead.high for n in heard), name
        steps = [b.pitch - a.pitch for a, b in itertools.pairwise(sorted(heard, key=lambda n: n.start))]
        pairs = list(itertools.pairwise(wide))
        inside = [i for i, (a, b) in enumerate(pairs) if b.start - a.end < BEAT]  # within a phrase
        kept = sum(steps[i] == (pairs[i][1].pitch or 0) - (pairs[i][0].pitch or 0) for i in inside)
        written = inside
        assert kept >= 0.8 * len(written), name  # the line's shape survives: phrases move whole


def test_comping_leaves_space_when_the_lead_is_busy(sampled: Sampled) -> None:
    busy: list[int] = []
    resting: list[int] = []
    for piece, options, arrangement in sampled:
        if options.style != "swing":
            continue
        heard = parts(arrangement)
        for bar in range(piece.bars - 1):
            lead = sum(bar * BAR <= n.start < (bar + 1) * BAR for n in heard["Lead"])
            piano = len({n.start for n in heard["Piano"] if bar * BAR <= n.start < (bar + 1) * BAR})
            if lead >= 6:
                busy.append(piano)
            elif lead <= 1:
                resting.append(piano)
    assert busy and resting
    assert statistics.mean(busy) + 0.5 < statistics.mean(resting)


def test_the_band_builds_over_the_piece_and_backs_off_at_a_new_phrase(sampled: Sampled) -> None:
    def mean_velocity(heard: list[Heard], bars: range) -> float:
        return statistics.mean(n.velocity for n in heard if n.start // BAR in bars)

    for _, options, arrangement in sampled:
        drums = parts(arrangement)["Drums"]
        assert mean_velocity(drums, range(12, 16)) > mean_velocity(drums, range(0, 4)) + 8, options
        assert mean_velocity(drums, range(8, 9)) < mean_velocity(drums, range(7, 8)), options


def test_the_lead_phrases_swell_in_the_middle(sampled: Sampled) -> None:
    middle: list[int] = []
    edges: list[int] = []
    for _, _, arrangement in sampled:
        lead = parts(arrangement)["Lead"]
        for a, b, c in zip(lead, lead[1:], lead[2:], strict=False):
            if b.start - a.end < BEAT and c.start - b.end < BEAT:
                middle.append(b.velocity)
            elif b.start - a.end >= BEAT:
                edges.append(b.velocity)  # a phrase's first note
    assert statistics.mean(middle) > statistics.mean(edges) + 2


def test_drums_fill_at_the_seams_of_the_form(sampled: Sampled) -> None:
    fills = {38, 45, 47, 50}  # snare and toms on beats 3 and 4
    for piece, options, arrangement in sampled:
        if options.style == "ballad":
            continue
        drums = parts(arrangement)["Drums"]
        for bar in (7, piece.bars - 1):  # the end of the first 8 bars, the bar before the ending
            late = [
                n
                for n in drums
                if bar * BAR + 2 * BEAT - GRID <= n.start < (bar + 1) * BAR and n.pitch in fills
            ]
            assert len(late) >= 2, (options, bar)


# --- the lead plays the line as composed (model/arrange/lead.py, Instrument.line_range) ---

LIKES = (None, "Sonny Rollins", "David Liebman", "Miles Davis", "swing", "Charlie Parker")  # vs corpus -4..+5


def test_each_lead_has_a_line_range_inside_its_real_range_as_wide_as_the_composers_default() -> None:
    for name, lead in LEADS.items():
        low, high = lead.line_range
        assert lead.low <= low and high <= lead.high, name
        assert high - low == LINE_SPAN == DEFAULT_HIGH - DEFAULT_LOW, name
        assert abs((low + high) / 2 - lead.sweet) <= 6, name  # as near the sweet spot as the range allows
    assert LEADS["jazz guitar"].line_range == (DEFAULT_LOW, DEFAULT_HIGH)


def test_a_line_composed_for_its_lead_is_played_as_composed(composer: Composer) -> None:
    """Every lead x every style (the waltz in 3/4) x styles whose register sits lowest and highest: the
    composer writes inside the instrument's line range, so no line needs an octave move, let alone a
    phrase-by-phrase placement, and the lead sounds exactly the composed pitches."""
    cases = [
        (lead, style, like, seed)
        for seed, (lead, style, like) in enumerate(itertools.product(LEADS, STYLES, LIKES))
    ]
    requests = [
        ComposeRequest(
            8,
            DEFAULT_TEMPI[style],
            progression=pick_tune(style, random.Random(seed)).slug,
            seed=seed,
            like=like,
            low=LEADS[lead].line_range[0],
            high=LEADS[lead].line_range[1],
            lead=lead,  # as the bot composes: centred where the lead's real players sit
        )
        for lead, style, like, seed in cases
    ]
    pieces = composer.compose_many(requests)
    split = moved = 0
    for (lead, style, like, _), piece in zip(cases, pieces, strict=True):
        instrument = LEADS[lead]
        composed = melody_pitches(piece)
        shift = line_shift(composed, instrument)
        split, moved = split + (shift is None), moved + (shift not in (None, 0))
        heard = parse(arrange(piece, ArrangeOptions(style=style, lead=lead, ending=False)).midi).notes["Lead"]
        played = [n.pitch for n in sorted(heard, key=lambda n: (n.start, n.pitch))]
        assert all(instrument.holds(p) for p in played), (lead, style, like)
        assert played == composed, (lead, style, like)
    assert (split, moved, len(pieces)) == (0, 0, len(LEADS) * len(STYLES) * len(LIKES))


def test_a_line_no_octave_holds_breaks_once_where_the_leap_is_smallest() -> None:
    """Four phrases climbing past the tenor's top: one phrase moves, the one whose move leaves the
    smallest leap at its join; the others stay as written (the old placement put every phrase at its
    own octave nearest the sweet spot: 67-72 | 62-67 | 69-74 | 64-69, joins of -10, +7 and -5)."""
    rising = [55, 57, 59, 60, 62, 64, 65, 67, 74, 72, 71, 69, 76, 77, 79, 81]
    groups = [range(0, 4), range(4, 8), range(8, 12), range(12, 16)]
    tenor = LEADS["tenor sax"]
    assert line_shift(rising, tenor) is None
    assert place(rising, groups, tenor) == rising[:12] + [p - 12 for p in rising[12:]]


def test_a_tag_keeps_its_octaves_when_the_line_is_placed_phrase_by_phrase(piece: Piece) -> None:
    """A line wider than the leads (every other phrase three octaves up; the piano holds it) with a tag:
    the repeated bars sound the pitches they sounded the first time, inside the lead's range."""
    notes = sorted((n for n in piece.melody if n.pitch is not None), key=lambda n: n.start)
    phrase, wide, previous_end = 0, [], 0
    for note in notes:
        phrase += note.start - previous_end >= BEAT
        previous_end = note.end
        wide.append(dataclasses.replace(note, pitch=(note.pitch or 0) + 36 * (phrase % 2)))
    stretched = dataclasses.replace(piece, melody=tuple(wide))
    end = piece.bars * BAR
    for name, lead in LEADS.items():
        if name == "piano":  # holds any line
            continue
        assert line_shift(melody_pitches(stretched), lead) is None, name
        heard = sorted(
            parse(arrange(stretched, ArrangeOptions(lead=name, tag=True)).midi).notes["Lead"],
            key=lambda n: n.start,
        )
        first = [n.pitch for n in heard if end - TAG_BARS * BAR <= snapped(n.start, BEAT // 4) < end]
        again = [n.pitch for n in heard if end <= snapped(n.start, BEAT // 4) < end + TAG_BARS * BAR]
        assert first and again == first, name
        assert all(lead.holds(n.pitch) for n in heard), name
