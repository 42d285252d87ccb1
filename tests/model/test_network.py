"""A real (tiny) training run through the CLI on real solos, and the model directory it leaves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.compose import Composer
from model.piece import TICKS_PER_BAR
from model.tokens import GRID, bar_lengths
from model.train import main

keras = pytest.importorskip("keras")


def test_tiny_training_run_writes_a_model_the_composer_uses(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    argv = ["--solos", "40", "--epochs", "1", "--units", "16", "--embedding", "8", "--window", "16"]
    assert main([*argv, "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {
        "model.keras",
        "weights.npz",
        "vocab.json",
        "meta.json",
        "loss.png",
    }
    meta = json.loads((out / "meta.json").read_text())
    assert meta["epochs_run"] == 1 and len(meta["losses"]["loss"]) == 1
    assert 0 < meta["valid_nll_per_token"] < meta["uniform_nll_per_token"] + 0.5
    train, valid = set(meta["split"]["train"]), set(meta["split"]["valid"])
    assert valid and not train & valid and len(train | valid) == 40  # every solo on one side
    vocab = json.loads((out / "vocab.json").read_text())
    assert vocab == sorted(vocab) and meta["vocab_size"] == len(vocab)
    import model.network  # noqa: F401  (registers the input layer for loading)

    assert keras.saving.load_model(out / "model.keras", compile=False).output_shape == (
        None,
        None,
        len(vocab),
    )

    piece = Composer.load(out).compose(bars=4, key="G", progression="blues", seed=0, like="bebop")
    assert bar_lengths(piece.extra["tokens"]) == [TICKS_PER_BAR // GRID] * 4
    assert piece.extra["fallbacks"] == "0"
    assert set(piece.extra["tokens"].replace("|", " ").split()) <= set(vocab)


def test_an_interrupted_run_resumes_where_it_stopped(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time budget ends the run after one epoch and the export then fails (a full disk, say):
    the checkpoint stays, and --resume trains the second epoch only and writes the model."""
    out = tmp_path / "model"
    argv = ["--solos", "40", "--epochs", "2", "--max-minutes", "0.0001"]
    argv += ["--units", "8", "--embedding", "4", "--window", "16"]

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("numpy.savez_compressed", full_disk)
        assert main([*argv, "--out", str(out)]) == 2
    state = json.loads((out / "checkpoint.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]["loss"]) == 1
    assert main(["--resume", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["epochs_run"] == 2 and len(meta["losses"]["val_loss"]) == 2
    assert not (out / "checkpoint.keras").exists()


def test_training_refuses_bad_input_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    assert main(["--out", str(busy)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["--resume", str(tmp_path)]) == 2
    assert "no interrupted run" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--epochs", "0"])
    assert exit_info.value.code == 2
    assert "--epochs" in capsys.readouterr().err
