"""The token grammar: real lead sheets are encoded with exact timing and harmony, every bar filled."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.corpus import Song, read_file
from model.grammar import (
    BAR_TOKEN,
    GRID,
    chord_at,
    classify,
    encode_song,
    is_note,
    quantise,
    split_bars,
    step_bucket,
    token_duration,
)
from model.piece import TICKS_PER_BAR, Chord, Note
from model.theory import parse_chord

ROUND_TRIP_FILES = (
    "Donna_Lee.xml",
    "Blue_Bossa.xml",
    "Giant_Steps.xml",
    "Song_for_My_Father_-_Horace_Silver.xml",
)


@pytest.fixture(scope="module")
def songs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Song]:
    mp = pytest.MonkeyPatch()
    mp.setenv("JAZZBOT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    try:
        return [
            song for name in ROUND_TRIP_FILES for song in read_file(shared_data / "standards" / name).songs
        ]
    finally:
        mp.undo()


def expected_events(song: Song) -> list[tuple[int, int, str]]:
    """(onset, duration, class) the spec promises: top voice on the grid, cut at the next onset,
    at the song end and at bar lines (a held note continues as a new event in the next bar)."""
    tops: dict[int, Note] = {}
    for note in song.melody:
        onset = quantise(note.start)
        if note.pitch is not None and (onset not in tops or note.pitch > (tops[onset].pitch or 0)):
            tops[onset] = note
    onsets = sorted(tops)
    events = []
    for i, onset in enumerate(onsets):
        stop = min(
            max(onset + GRID, quantise(tops[onset].end)),
            onsets[i + 1] if i + 1 < len(onsets) else song.bars * TICKS_PER_BAR,
        )
        start = onset
        while start < stop:
            end = min(stop, (start // TICKS_PER_BAR + 1) * TICKS_PER_BAR)
            pitch = tops[onset].pitch
            assert pitch is not None
            events.append((start, end - start, classify(pitch, chord_at(song.chords, start))))
            start = end
    return events


def token_events(tokens: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """(onset, length, class) of every note token, laid end to end from each bar token."""
    events, time, bar = [], 0, -1
    for token in tokens:
        if token == BAR_TOKEN:
            bar += 1
            time = bar * TICKS_PER_BAR
            continue
        if is_note(token):
            events.append((time, token_duration(token), token.split(":")[0]))
        time += token_duration(token)
    return events


def test_real_songs_round_trip_with_same_onsets_durations_and_classes(songs: list[Song]) -> None:
    assert len(songs) == len(ROUND_TRIP_FILES)
    for song in songs:
        assert token_events(song.tokens) == expected_events(song), song.name


def test_every_bar_of_real_songs_is_filled_exactly(songs: list[Song]) -> None:
    for song in songs:
        bars = split_bars(song.tokens)
        assert len(bars) == song.bars == song.tokens.count(BAR_TOKEN)
        assert all(sum(token_duration(t) for t in bar) == TICKS_PER_BAR for bar in bars), song.name


def test_encoding_is_deterministic(songs: list[Song]) -> None:
    song = songs[0]
    assert encode_song(song.melody, song.chords, song.bars) == list(song.tokens)


def test_onsets_are_rounded_half_up_not_at_random() -> None:
    chords = [Chord(parse_chord("C7"), 0, TICKS_PER_BAR, "C7")]
    # 20 ticks is exactly half a grid unit: it always rounds up; 19 past a grid point rounds down.
    melody = [Note(60, GRID // 2, 60), Note(64, 3 * GRID + 19, 101)]
    tokens = encode_song(melody, chords, 1)
    assert tokens == ["|", "R:1", "C:1:*", "R:1", "C:3:+2", "R:42"]


def test_note_held_over_the_bar_line_is_split_and_bars_stay_full() -> None:
    chords = [
        Chord(parse_chord("Dm7"), 0, TICKS_PER_BAR, "Dm7"),
        Chord(parse_chord("G7"), TICKS_PER_BAR, 1920, "G7"),
    ]
    tokens = encode_song([Note(65, 1440, 960)], chords, 2)
    assert tokens == ["|", "R:36", "C:12:*", "|", "C:12:0", "R:36"]


def test_classes_against_the_chord() -> None:
    c7 = parse_chord("C7")
    assert [classify(p, c7) for p in (64, 62, 63, 61)] == ["C", "S", "A", "A"]
    assert classify(66, parse_chord("Cmaj7")) == "A"  # F# is a semitone below G
    assert classify(61, parse_chord("Cmaj7")) == "A"
    assert classify(68, parse_chord("Cmaj7")) == "A"
    assert classify(63, parse_chord("Cmaj7")) == "A"
    assert classify(62, parse_chord("Ebmaj7")) == "C"


@pytest.mark.parametrize(("interval", "bucket"), [(0, "0"), (2, "+1"), (-3, "-2"), (7, "+3"), (-12, "-4")])
def test_step_buckets(interval: int, bucket: str) -> None:
    assert step_bucket(interval) == bucket


def test_rests_and_bars_have_the_right_length() -> None:
    assert token_duration("R:6") == 6 * GRID
    assert token_duration(BAR_TOKEN) == 0
    assert is_note("S:3:-1") and not is_note("R:3") and not is_note(BAR_TOKEN)
