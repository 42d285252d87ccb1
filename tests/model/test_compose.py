"""The composer with the shipped model: full bars, determinism, extension, threads, bad input."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from model.compose import Composer, ComposeRequest
from model.endings import ENDING_BARS
from model.errors import InputError
from model.grammar import BAR_TOKEN, split_bars, token_duration
from model.midi import piece_to_midi
from model.piece import TICKS_PER_BAR, Piece

KEYS = ("C", "Bb", "F#", "Eb", "A", "Dm", "G", "Cm", "Db", "E", "Abm", "B")


def _melody(piece: Piece) -> list[tuple[int | None, int, int]]:
    return [(n.pitch, n.start, n.duration) for n in piece.melody]


def test_every_bar_is_exactly_filled_over_many_seeds_and_keys(composer: Composer) -> None:
    for seed in range(36):
        bars = 1 + seed % 20
        piece = composer.compose(bars=bars, key=KEYS[seed % len(KEYS)], seed=seed)
        tokens = piece.extra["tokens"].split()
        assert tokens.count(BAR_TOKEN) == bars
        assert [sum(map(token_duration, bar)) for bar in split_bars(tokens)] == [TICKS_PER_BAR] * bars
        assert piece.melody, "a piece with no notes at all"
        for note, following in zip(piece.melody, piece.melody[1:], strict=False):
            assert note.end <= following.start
        for note in piece.melody:
            assert note.start // TICKS_PER_BAR == (note.end - 1) // TICKS_PER_BAR  # never crosses a bar line
            assert 55 <= (note.pitch or 0) <= 84
        assert piece.chords[0].start == 0 and piece.chords[-1].end == bars * TICKS_PER_BAR


def test_same_seed_same_piece_and_midi_bytes(composer: Composer) -> None:
    first = composer.compose(bars=12, tempo=140, key="Bb", progression="blues", seed=7)
    again = composer.compose(bars=12, tempo=140, key="Bb", progression="blues", seed=7)
    assert first == again
    assert piece_to_midi(first) == piece_to_midi(again)


def test_different_seeds_give_different_melodies(composer: Composer) -> None:
    melodies = {tuple(_melody(composer.compose(bars=8, progression="blues", seed=s))) for s in range(12)}
    assert len(melodies) == 12


def test_longer_piece_with_same_seed_extends_the_shorter(composer: Composer) -> None:
    for seed, progression in ((3, None), (11, "rhythm-changes"), (5, "| Dm7 G7 | Cmaj7 | A7b9 |")):
        short = composer.compose(bars=8, key="Eb", progression=progression, seed=seed)
        long = composer.compose(bars=16, key="Eb", progression=progression, seed=seed)
        end = (8 - ENDING_BARS) * TICKS_PER_BAR  # the short piece's last bars are its ending cadence
        assert [n for n in _melody(short) if n[1] < end] == [n for n in _melody(long) if n[1] < end]
        assert tuple(c for c in short.chords if c.start < end) == tuple(
            c for c in long.chords if c.start < end
        )
        assert long.progression == short.progression


def test_unseeded_piece_records_a_seed_that_reproduces_it(composer: Composer) -> None:
    piece = composer.compose(bars=4)
    assert composer.compose(bars=4, progression=piece.progression, seed=piece.seed) == piece


def test_chart_progression_sets_the_chords_in_the_key(composer: Composer) -> None:
    piece = composer.compose(bars=4, key="F", progression="| Dm7 G7 | Cmaj7 |", seed=1)
    assert [c.name for c in piece.chords] == ["Gm7", "C7", "Fmaj7", "Gm7", "C7", "Fmaj7"]
    assert piece.progression == "| Dm7 G7 | Cmaj7 |"
    assert piece.model == composer.name and composer.name.startswith("lstm-2x")


def test_threads_and_batches_give_the_same_pieces(composer: Composer) -> None:
    requests = [ComposeRequest(bars=8, key=KEYS[s], seed=s) for s in range(8)]
    alone = [composer.compose(r.bars, r.tempo, r.key, r.progression, r.temperature, r.seed) for r in requests]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda r: composer.compose(bars=r.bars, key=r.key, seed=r.seed), requests))
    assert threaded == alone
    assert composer.compose_many(requests) == alone


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"bars": 0}, "bars"),
        ({"bars": 65}, "bars"),
        ({"bars": 2.5}, "bars"),
        ({"tempo": 39}, "tempo"),
        ({"tempo": 321}, "tempo"),
        ({"key": "H"}, "not a key"),
        ({"progression": "no-such-tune-at-all"}, "no progression"),
        ({"progression": "| Dm7 Qx7 |"}, "bar 1"),
        ({"progression": "   "}, "progression"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": 3.5}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_requests_are_input_errors(
    composer: Composer, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        composer.compose(**arguments)  # type: ignore[arg-type]


def test_composing_never_imports_tensorflow_keras_or_music21() -> None:
    script = (
        "import sys\n"
        "from model.compose import Composer\n"
        "from model.midi import piece_to_midi\n"
        "piece_to_midi(Composer.load().compose(bars=4, seed=1))\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'music21') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "[]"


def test_the_key_takes_the_asked_tonic_in_the_progressions_mode(composer: Composer) -> None:
    """The chords of a minor progression stay minor in any key, so the piece is labelled minor too."""
    assert composer.compose(bars=4, key="C", progression="minor-blues", seed=1).key.name == "Cm"
    assert composer.compose(bars=4, key="Bbm", progression="blues", seed=1).key.name == "Bb"
    assert composer.compose(bars=4, key="F#m", progression="minor-blues", seed=1).key.name == "F#m"
