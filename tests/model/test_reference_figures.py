"""The "Why?" figures are model.evaluate's, and the committed real-solo table rebuilds from ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.arrange import arrange
from model.clip_reading import read_arrangement
from model.compose import Composer
from model.evaluate import FIGURES
from model.evaluation_sets import solo_chunks
from model.melody_metrics import held_over_share, motif_recurrence
from model.metrics import class_shares, pitch_range, repeated_share
from model.piece import TICKS_PER_QUARTER
from model.reference_figures import (
    CLIP_FIGURES,
    REFERENCE_FILE,
    REFERENCE_FILES,
    ReferenceTable,
    build,
    load_reference,
    main,
    measure,
    reference_for,
)
from model.wjazzd import load_solos


def test_every_clip_figure_is_a_row_of_model_evaluate() -> None:
    rows = {figure.label for figure in FIGURES}
    assert [figure.label for figure in CLIP_FIGURES if figure.label not in rows] == []


def test_measure_gives_the_metric_functions_values(composer: Composer) -> None:
    piece = composer.compose(16, 160, "Bb", "rhythm-changes", 1.0, seed=11)
    sample = read_arrangement(arrange(piece).midi).sample
    melody, chords = sample.melody, sample.chords

    figures = measure(sample)

    assert figures == {
        "chord_tones": class_shares(melody, chords)["C"],
        "chord_or_scale_tones": class_shares(melody, chords)["CS"],
        "motif_exact": motif_recurrence(melody),
        "motif_contour": motif_recurrence(melody, contour=True),
        "range": pitch_range(melody),
        "repeated_notes": repeated_share(melody),
        "held_over": held_over_share(melody),
    }
    assert 0 < figures["chord_tones"] < figures["chord_or_scale_tones"] <= 1 and figures["range"] > 0


def test_the_committed_table_is_complete_and_ordered() -> None:
    table = load_reference()
    assert set(table.figures) == {figure.key for figure in CLIP_FIGURES}
    assert all(r.low <= r.median <= r.high for r in table.figures.values())
    assert table.bars == 16 and table.chunks > table.solos > 10
    assert ReferenceTable.from_json(table.to_json()) == table


def test_the_table_rebuilds_from_the_shared_solos(shared_data: Path) -> None:
    assert build(shared_data / "wjazzd").to_json() == REFERENCE_FILE.read_text()


def test_the_waltz_time_table_is_every_three_four_solo_in_three_four_bars(shared_data: Path) -> None:
    waltzes = reference_for(3)
    assert waltzes == load_reference(REFERENCE_FILES[3]) and waltzes != reference_for(4)
    assert set(waltzes.figures) == {figure.key for figure in CLIP_FIGURES}
    assert waltzes.solos == 8 and waltzes.chunks > 50 and "3/4" in waltzes.source
    assert build(shared_data / "wjazzd", 3).to_json() == REFERENCE_FILES[3].read_text()
    solos = [s for s in load_solos(shared_data / "wjazzd").solos if s.beats_per_bar == 3]
    chunks = solo_chunks(solos, 16, 3)
    assert len(chunks) == waltzes.chunks and solo_chunks(solos, 16) == []  # 4/4 chunks skip them
    bar = 3 * TICKS_PER_QUARTER
    assert all(n.start < 16 * bar for chunk in chunks for n in chunk.melody)
    assert max(n.start for chunk in chunks for n in chunk.melody) >= 15 * bar  # the chunks are 3/4 bars


def test_building_from_a_folder_without_solos_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--build", "--wjazzd", str(tmp_path), "--out", str(tmp_path / "table.json")]) == 2
    assert "is not a WJazzD folder" in capsys.readouterr().out
    assert not (tmp_path / "table.json").exists()
