"""Chord symbols and keys as a lead sheet or a chat message writes them."""

from __future__ import annotations

import pytest

from model.theory import TheoryError, parse_chord, parse_key


@pytest.mark.parametrize(
    ("text", "name", "tones"),
    [
        ("Bbmaj7", "Bbmaj7", {10, 2, 5, 9}),
        ("C-7", "Cm7", {0, 3, 7, 10}),
        ("F7", "F7", {5, 9, 0, 3}),
        ("Bø7", "Bm7b5", {11, 2, 5, 9}),
        ("Co7", "Cdim7", {0, 3, 6, 9}),
        ("D7(b9)", "D7b9", {2, 6, 9, 0, 3}),
        ("G7/B", "G7/B", {7, 11, 2, 5}),
    ],
)
def test_chord_symbols_parse_to_their_tones(text: str, name: str, tones: set[int]) -> None:
    chord = parse_chord(text)
    assert chord.name() == name
    assert set(chord.tones) == tones
    assert chord.tones <= chord.scale


def test_keys_spell_with_their_signature() -> None:
    assert parse_key("D").spell(6) == "F#"
    assert parse_key("Db").spell(6) == "Gb"
    assert parse_key("c minor").name == "Cm"
    assert parse_key("Eb").transpose(2).name == "F"


@pytest.mark.parametrize("text", ["H7", "Cxyz", "", "7"])
def test_unreadable_chords_say_so(text: str) -> None:
    with pytest.raises(TheoryError):
        parse_chord(text)


@pytest.mark.parametrize("text", ["H", "Bb lydian", "12"])
def test_unreadable_keys_say_so(text: str) -> None:
    with pytest.raises(TheoryError, match="not a key"):
        parse_key(text)


@pytest.mark.parametrize(
    ("chord", "key", "spelled"),
    [
        ("Eb7", "D", "Eb7"),  # flat III in a sharp key: not D#7
        ("Bbmaj7", "E", "Bbmaj7"),
        ("F#m7b5", "C", "F#m7b5"),  # raised IV under a half-diminished chord
        ("Gb7", "C", "Gb7"),  # the tritone substitute of C7's V
        ("G#dim7", "Am", "G#dim7"),  # leading-tone diminished in minor
        ("Gb7", "Gm", "Gb7"),  # a tritone substitute on the minor key's 7th degree
        ("F#7", "D", "F#7"),  # diatonic notes follow the key signature
        ("Db7", "Bb", "Db7"),
        ("C#dim7", "C", "C#dim7"),  # a passing diminished chord rises
    ],
)
def test_chord_roots_are_spelled_as_a_lead_sheet_in_the_key_would(chord: str, key: str, spelled: str) -> None:
    assert parse_chord(chord).name(parse_key(key)) == spelled
