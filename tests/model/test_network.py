"""A real (tiny) training run through the CLI, and the model directory it leaves behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.compose import Composer
from model.grammar import BAR_TOKEN, split_bars, token_duration
from model.piece import TICKS_PER_BAR
from model.train import main

keras = pytest.importorskip("keras")


def test_tiny_training_run_writes_a_model_the_composer_uses(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "model"
    lead_sheet = shared_data / "standards" / "Blue_Monk.xml"
    argv = ["--data", str(lead_sheet), "--epochs", "2", "--out", str(out), "--units", "16", "--window", "8"]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir()} == {
        "model.keras",
        "weights.npz",
        "vocab.json",
        "meta.json",
        "loss.png",
    }
    meta = json.loads((out / "meta.json").read_text())
    assert meta["epochs_run"] == 2 and len(meta["losses"]["loss"]) == 2
    assert list(meta["data"]) == ["Blue_Monk.xml"]
    vocab = json.loads((out / "vocab.json").read_text())
    assert vocab == sorted(vocab) and BAR_TOKEN in vocab and meta["vocab_size"] == len(vocab)
    assert keras.saving.load_model(out / "model.keras", compile=False).output_shape == (None, len(vocab))

    piece = Composer.load(out).compose(bars=4, key="G", progression="blues", seed=0)
    bars = split_bars(piece.extra["tokens"].split())
    assert [sum(map(token_duration, bar)) for bar in bars] == [TICKS_PER_BAR] * 4
    assert set(piece.extra["tokens"].split()) <= set(vocab)


def test_training_refuses_bad_input_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--data", str(empty), "--out", str(tmp_path / "m")]) == 2
    error = capsys.readouterr().err
    assert "no music files" in error and "Traceback" not in error
    with pytest.raises(SystemExit) as exit_info:
        main(["--epochs", "0"])
    assert exit_info.value.code == 2
    assert "--epochs" in capsys.readouterr().err
