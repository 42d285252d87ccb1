"""``bench.compose``'s model options: which folder is timed, and the side-by-side run of two models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.compose import main
from model.paths import DEFAULT_MODEL_DIR


def test_against_model_times_both_models_piece_by_piece(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "2", "--naive", "0", "--against-model", str(DEFAULT_MODEL_DIR)]) == 0
    out = capsys.readouterr().out
    for like in ("plain", "Parker"):
        theirs = re.search(
            rf"^{like}: soloist-2x\d+ [0-9a-f]{{8}} \({re.escape(str(DEFAULT_MODEL_DIR))}\) p50 ", out, re.M
        )
        assert theirs is not None, out
    ratios = re.findall(r"p50 ratio (\d+\.\d+), median of per-piece ratios (\d+\.\d+)", out)
    assert len(ratios) == 2
    assert all(float(value) > 0 for pair in ratios for value in pair)


def test_the_pieces_are_arranged_and_timed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "3", "--rounds", "2", "--naive", "0"]) == 0
    out = capsys.readouterr().out
    line = re.search(r"^arrange 16 bars x 6 pieces \(.*\): p50 (\d+\.\d) ms  p90 (\d+\.\d) ms", out, re.M)
    assert line is not None, out
    assert 0 < float(line[1]) <= float(line[2])


def test_model_option_loads_that_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        main(["--seeds", "1", "--naive", "0", "--model", str(tmp_path)])


def test_against_and_against_model_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--against", str(tmp_path), "--against-model", str(tmp_path)])
