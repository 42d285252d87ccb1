"""The soloist's tokens: one pitch per token, exact bars, ties as held notes."""

from __future__ import annotations

import numpy as np

from model.piece import TICKS_PER_BAR, Chord, Note
from model.theory import parse_chord
from model.tokens import (
    DIRECTIONS,
    GRID,
    bar_lengths,
    delta_table,
    direction_of,
    encode_line,
    first_pitch,
    realise,
    resolve_many,
    token_grid,
    token_kind,
    token_pc,
)


def _chords(*names: str) -> tuple[Chord, ...]:
    """One chord per bar."""
    return tuple(Chord(parse_chord(n), i * TICKS_PER_BAR, TICKS_PER_BAR, n) for i, n in enumerate(names))


def test_every_interval_up_to_two_octaves_is_one_token_and_back() -> None:
    for root in range(12):
        for previous in range(40, 90):
            for pitch in range(previous - 24, previous + 25):
                direction = direction_of(previous, pitch)
                assert direction is not None
                if direction == "s":
                    assert pitch == previous
                    continue
                pcs, kinds = np.array([(pitch - root) % 12]), np.array([direction])
                assert resolve_many(previous, root, pcs, kinds)[0] == pitch
    assert direction_of(60, 85) is None and direction_of(60, 35) is None


def test_the_lookup_table_equals_the_resolver() -> None:
    kinds = np.array([*DIRECTIONS, "s", "R", "T"] * 12)
    pcs = np.arange(len(kinds)) % 12
    table = delta_table(pcs, kinds)
    for root in range(12):
        for previous in range(50, 75):
            expected = resolve_many(previous, root, pcs, kinds)
            moving = np.isin(kinds, [*DIRECTIONS, "s"])
            got = previous + table[(previous - root) % 12]
            np.testing.assert_array_equal(got[moving], expected[moving])


def test_a_first_note_sounds_nearest_the_centre() -> None:
    for root in range(12):
        pitches = first_pitch(root, np.arange(12), 69.5)
        assert list(pitches % 12) == [(root + pc) % 12 for pc in range(12)]
        assert all(63 <= p <= 75 for p in pitches)


def test_a_line_encodes_to_exact_bars_and_realises_to_the_same_pitches() -> None:
    chords = _chords("Dm7", "G7", "Cmaj7", "A7b9")
    q = TICKS_PER_BAR // 4
    notes = [
        Note(62, 0, q // 2 - 20),  # an eighth played short: the sliver of silence joins the note
        Note(65, q // 2, q // 2),
        Note(69, q, q),
        Note(72, 3 * q, 2 * q),  # held over the bar line: one note, tied
        Note(71, 5 * q, q // 3),
        Note(67, 7 * q, q),  # after a rest of a half note and more
        Note(64, 9 * q, q),
        Note(61, 13 * q, 3 * q),
    ]
    events = encode_line(notes, chords, 0, 4 * TICKS_PER_BAR)
    tokens = [e.token for e in events]
    assert tokens[0] == "*0:6"  # D is the root of Dm7
    assert "T:12" in tokens and token_kind(tokens[tokens.index("T:12") - 1]) == "u"
    assert sum(token_grid(t) for t in tokens) == 4 * 48
    played = realise(events)
    assert [n.pitch for n in played] == [n.pitch for n in notes]
    assert played[0].duration == q // 2  # legato
    assert played[3] == Note(72, 3 * q, 2 * q)  # tied: one held note over the bar line
    assert played[4].duration == q // 3  # a triplet eighth followed by a real rest keeps its length
    bars: list[int] = [0] * 4
    for event in events:
        bars[event.start // TICKS_PER_BAR] += token_grid(event.token) * GRID
    assert bars == [TICKS_PER_BAR] * 4


def test_token_fields() -> None:
    assert (token_kind("u7:6"), token_pc("u7:6"), token_grid("u7:6")) == ("u", 7, 6)
    assert (token_kind("s:3"), token_pc("s:3"), token_grid("s:3")) == ("s", -1, 3)
    assert (token_kind("R:48"), token_pc("T:12"), token_grid("T:12")) == ("R", -1, 12)
    assert bar_lengths("| u7:6 R:42 | T:48") == [48, 48]
