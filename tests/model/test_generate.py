"""``python -m model.generate``: a MIDI file from the command line, friendly errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.generate import main
from model.midi import CHORDS_TRACK, MELODY_TRACK, read_midi
from model.piece import TICKS_PER_BAR


def test_writes_the_requested_midi_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mid"
    argv = [
        "--bars",
        "16",
        "--tempo",
        "140",
        "--key",
        "Bb",
        "--seed",
        "7",
        "--progression",
        "blues",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    midi = read_midi(out)
    assert [t.name for t in midi.tracks[1:]] == [MELODY_TRACK, CHORDS_TRACK]
    assert sum(m.time for m in midi.tracks[1]) == 16 * TICKS_PER_BAR
    printed = capsys.readouterr().out
    assert "16 bars in Bb at 140 bpm" in printed and "seed 7" in printed and "| Bb7 |" in printed
    again = tmp_path / "again.mid"
    assert main([*argv[:-1], str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bars", "100"], "bars"),
        (["--tempo", "10"], "tempo"),
        (["--key", "Q"], "not a key"),
        (["--progression", "nope-nope-nope"], "no progression"),
        (["--temperature", "0"], "temperature"),
        (["--like", "Charlie Porker"], "Charlie Parker"),
        (["--low", "70", "--high", "75"], "octave"),
        (["--model", "/nonexistent"], "no trained model"),
        (["-o", "/nonexistent/dir/out.mid"], "cannot write"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "-o" not in argv:
        argv = [*argv, "-o", str(tmp_path / "x.mid")]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_unparseable_numbers_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--bars", "many"])
    assert exit_info.value.code == 2
    assert "--bars" in capsys.readouterr().err


def test_like_names_the_style_it_played(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bars", "4", "--seed", "1", "--like", "Parker", "-o", str(tmp_path / "p.mid")]) == 0
    assert "in the style of Charlie Parker" in capsys.readouterr().out
