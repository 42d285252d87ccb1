"""Training tools without the ``train`` extra installed: a message saying what to install, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from model import progressions, train
from model.arrange import arrange
from model.compose import Composer
from model.corpus import load_corpus
from model.extras import TRAIN_EXTRA, MissingExtraError, require_training_libraries
from model.paths import PROGRESSIONS_FILE


def test_a_missing_library_is_named_with_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "music21", None)  # as if not installed: importing it fails
    with pytest.raises(MissingExtraError, match="music21 is not installed") as raised:
        require_training_libraries("numpy", "music21")
    assert TRAIN_EXTRA in str(raised.value)
    require_training_libraries("numpy", "mido")  # installed ones pass


def test_training_without_keras_says_what_to_install_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)
    out = tmp_path / "model"
    assert train.main(["--out", str(out), "--epochs", "1"]) == 2
    assert "keras is not installed: training and the corpus tools need jazzbot's train extra" in (
        capsys.readouterr().err
    )
    assert not out.exists()


def test_reading_new_music_without_music21_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, composer: Composer
) -> None:
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(tmp_path / "cache"))  # nothing read before
    song = tmp_path / "song.mid"
    song.write_bytes(arrange(composer.compose(bars=2, seed=1)).midi)
    monkeypatch.setitem(sys.modules, "music21", None)
    with pytest.raises(MissingExtraError, match="music21 is not installed"):
        load_corpus([song])


def test_composing_and_arranging_need_none_of_the_training_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("tensorflow", "keras", "music21", "matplotlib"):
        monkeypatch.setitem(sys.modules, name, None)
    piece = Composer.load().compose(bars=4, seed=2)
    assert piece.melody and arrange(piece).midi.startswith(b"MThd")


def test_rebuilding_the_progression_table_without_music21_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    monkeypatch.setitem(sys.modules, "music21", None)
    before = PROGRESSIONS_FILE.read_bytes()
    assert progressions.main(["--build", "--standards", str(shared_data / "standards")]) == 2
    assert "music21 is not installed" in capsys.readouterr().out
    assert PROGRESSIONS_FILE.read_bytes() == before  # the shipped table is untouched
