"""``python -m model.evaluate`` end to end on a few real solos, and its parts on real data."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest

from model import evaluate
from model.arrange.instruments import LEADS
from model.compose import Composer
from model.evaluation_sets import Progress, composed, cut, read_track_notes, solo_chunks
from model.melody_metrics import held_over_share
from model.metrics import filled_bar_share, split_mixed_track
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note
from model.progressions import chart_of, library, parse_chart
from model.style_evaluation import (
    STYLE_PAIRS,
    Closeness,
    margin,
    over_own_changes,
    own_closest,
    playing,
    style_report,
)
from model.theory import parse_chord, parse_key
from model.two_sample import classifier_accuracy
from model.wjazzd import load_solos, read_solo, solo_name, split

ISSUE_ROWS = (
    "fallback rate",
    "repeated notes",
    "exact 4-note motif recurrence",
    "4-note contour recurrence",
    "8-bar median-pitch spread, 16 bars",
    "8-bar median-pitch spread, 64 bars",
    "octave-plus leaps",
    "notes held over a bar line",
    "phrase length (notes)",
    "phrase ends on a chord tone",
    "last note length (beats)",
    "last note the chord root",
    "pitch-class entropy H1",
    "pitch-class entropy H4",
    "grooving similarity GS",
    "pieces copying < 12 notes",
    "notes on chord tones",
    "notes on chord or scale tones",
    "bars exactly filled",
    "distinctness between seeds",
)


def solo_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "wjazzd" / "melody").glob("*.csv"))


def table_rows(report: str) -> dict[str, list[str]]:
    return {
        row.split(" | ")[0].strip("| "): [c.strip() for c in row.strip("|").split(" | ")[1:]]
        for row in report.splitlines()
        if row.startswith("| ")
    }


def test_a_cut_rebases_notes_and_clips_chords() -> None:
    chords = [Chord(parse_chord("C7"), 0, 3 * TICKS_PER_BAR, "C7")]
    notes = [Note(60, TICKS_PER_BAR - 10, 10), Note(62, TICKS_PER_BAR, 3 * TICKS_PER_BAR)]
    sample = cut(notes, chords, 1, 1)
    assert sample.melody == (Note(62, 0, TICKS_PER_BAR),)  # cut at the chunk's end: not held over
    assert sample.chords == (Chord(parse_chord("C7"), 0, TICKS_PER_BAR, "C7"),)
    assert held_over_share(sample.melody) == 0.0


def test_deepjazz_output_splits_into_a_melody_and_named_chords(shared_data: Path) -> None:
    path = shared_data / "deepjazz" / "reference_outputs" / "deepjazz_on_metheny_128_epochs.mid"
    notes = read_track_notes(path)
    track = split_mixed_track(notes)
    assert 18 <= track.bars <= 19
    assert len(track.chords) >= 30
    assert 100 <= len(track.melody) < len(notes)
    assert all(c.symbol.quality in {"", "m", "7", "maj7", "m7", "6", "m6", "m7b5"} for c in track.chords[:10])


def test_composed_pieces_fill_every_bar_and_carry_the_fallback_share(composer: Composer) -> None:
    pieces = composed(composer, 3, 16, Progress(enabled=False))
    assert [p.bars for p in pieces] == [16, 16, 16]
    assert all(filled_bar_share(p.melody, p.bars) == 1.0 for p in pieces)
    assert all(p.fallback == 0.0 for p in pieces)  # playable by construction: nothing falls back
    assert len({p.chords for p in pieces}) == 3  # progressions (and keys) cycle


def test_the_evaluation_composes_in_the_real_chunks_keys(shared_data: Path, composer: Composer) -> None:
    solos = [
        read_solo(path, path.parent.parent / "beats" / f"{path.stem}_beattrack.csv")
        for path in solo_files(shared_data)[:120:8]
    ]
    chunks = solo_chunks(solos, 16)
    keys = evaluate.chunk_keys(chunks)
    assert keys == [parse_chart(chart_of(c.chords, c.bars)).key.name for c in chunks]  # as its chart says
    assert len(set(keys)) >= 3
    pieces = composed(composer, len(chunks), 16, Progress(enabled=False), keys=keys)
    tunes = library()
    slugs = sorted(tunes)
    played = []  # each piece's signature, as the tonic of its major key
    for i, piece in enumerate(pieces):
        tune = tunes[slugs[i % len(slugs)]]
        shift = piece.chords[0].symbol.root - tune.bars[0][0][0].root
        played.append((tune.key.in_mode(False).tonic + shift) % 12)
    assert Counter(played) == Counter(parse_key(k).in_mode(False).tonic for k in keys)


def test_two_halves_of_real_solo_chunks_are_indistinguishable_to_the_classifier(shared_data: Path) -> None:
    solos = [
        read_solo(path, path.parent.parent / "beats" / f"{path.stem}_beattrack.csv")
        for path in solo_files(shared_data)[:60:2]
    ]
    chunks = solo_chunks(solos, 16)
    assert len(chunks) >= 80
    features = evaluate.feature_matrix(chunks)
    result = classifier_accuracy(features[0::2], features[1::2])
    assert abs(result.mean - 0.5) < 0.15


def test_the_report_has_every_row_of_the_issue_for_real_solos_jazzbot_and_deepjazz(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(tmp_path / "cache"))
    files = {solo_name(path): path for path in solo_files(shared_data)}
    train, valid = split(files)
    folder = tmp_path / "wjazzd"
    for sub in ("melody", "beats"):
        (folder / sub).mkdir(parents=True)
    for name in [*valid[:4], *train[:2]]:
        melody = files[name]
        (folder / "melody" / melody.name).symlink_to(melody)
        beats = f"{melody.stem}_beattrack.csv"
        (folder / "beats" / beats).symlink_to(melody.parent.parent / "beats" / beats)
    out = tmp_path / "report.md"
    lead_sheet = shared_data / "standards" / "Blue_Monk.xml"
    args = ["--n", "3", "--wjazzd", str(folder), "--data", str(lead_sheet), "--out", str(out), "--quiet"]
    args += ["--style-n", "5", "--soloists", "2"]
    assert evaluate.main(args) == 0
    report = out.read_text()
    assert capsys.readouterr().out == report
    rows = table_rows(report)
    for issue_row in ISSUE_ROWS:
        assert any(label.startswith(issue_row) for label in rows), issue_row
    header = next(label for label in rows if label == "figure")
    assert rows[header][0].startswith("real solos") and rows[header][1] == "jazzbot (3 pieces)"
    fallback = rows["fallback rate (notes the realiser had to move)"]
    assert fallback[0] == "-" and fallback[1] == "0.0%"  # the soloist is playable by construction
    filled = rows["bars exactly filled"]
    assert filled[:2] == ["100.0%", "100.0%"] and float(filled[2].rstrip("%")) < 50
    for feature in ("pitch classes", "intervals", "inter-onset times", "pitch range"):
        assert 0.0 <= float(rows[feature][1]) <= 1.0
    assert "LSTM" in rows and "5-gram, interpolated Kneser-Ney" in rows
    for a, b in STYLE_PAIRS:  # six solos hold too few chunks of any one style for the real column
        generated, real, goal = rows[f"{a} vs {b}"]
        assert goal == "well above 0.5"
        assert 0.0 <= float(generated.split(" ± ")[0]) <= 1.0 and real == "- (too few chunks)"


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    assert evaluate.main(["--n", "0"]) == 2
    assert evaluate.main(["--wjazzd", str(tmp_path), "--quiet"]) == 2
    assert evaluate.main(["--style-n", "3"]) == 2  # a 5-fold classifier needs 5 pieces a style
    assert evaluate.main(["--soloists", "1"]) == 2
    assert evaluate.main(["--style-seed", "-1"]) == 2
    assert evaluate.main(["--first-seed", "-1"]) == 2


def test_style_checks_compare_every_soloist_with_every_soloists_real_solos(
    shared_data: Path, composer: Composer
) -> None:
    solos = load_solos(shared_data / "wjazzd").solos
    pairs = (("Charlie Parker", "Miles Davis"),)
    report = style_report(
        composer, solos, 5, evaluate.feature_matrix, Progress(enabled=False), 3, pairs, seed_offset=7
    )
    assert report.soloists == ("John Coltrane", "Miles Davis", "David Liebman")  # most notes, with a slot
    for found in (report.own_changes, report.unstyled_own_changes, report.generated, report.real):
        for matrix in (found.cells, found.key_free):  # key-free: the mean of the other three overlaps
            assert list(matrix) == list(report.soloists)
            assert all(list(row) == list(report.soloists) for row in matrix.values())
            assert all(0.0 <= value <= 1.0 for row in matrix.values() for value in row.values())
    # the measure itself tells the real soloists apart: each one's even chunks are closest to its odd ones
    assert len(own_closest(report.real.cells)) >= 2
    generated, real = report.accuracies[pairs[0]]
    assert real.endswith("per class)") and float(real.split(" ± ")[0]) > 0.6  # Parker and Davis differ
    assert 0.0 <= float(generated.split(" ± ")[0]) <= 1.0
    text = report.markdown()
    assert "Charlie Parker vs Miles Davis" in text and "features that do not depend on the key" in text
    # both designs: over each soloist's own changes (with the unstyled control), and style only
    own_table, style_table = (
        line for line in text.splitlines() if line.startswith("| MGEval overlap") and "real even" not in line
    )
    assert "over his own changes (rows, seeds 7..11)" in own_table and "all twelve keys" in style_table
    assert f"own 16-bar changes at his solos' tempi: {report.own_changes.counted()}." in text
    assert f"with no style (what the changes alone give): {report.unstyled_own_changes.counted()}." in text
    assert f"keys, at his median tempo): {report.generated.counted()}." in text
    assert report.own_changes.counted().startswith(f"{len(own_closest(report.own_changes.cells))} of 3")


def test_pieces_over_a_soloists_own_changes_follow_each_chunks_chords_and_tempo(
    shared_data: Path, composer: Composer
) -> None:
    solos = playing(load_solos(shared_data / "wjazzd").solos, "Charlie Parker")
    chunks = solo_chunks(solos, 16)
    assert len(chunks) >= 20 and all(c.tempo is not None for c in chunks)
    pieces = over_own_changes(composer, chunks, 10, "Charlie Parker", Progress(enabled=False), 3, "alto sax")
    # piece i plays over chunk i * len // n: spread over all his solos, at each one's tempo
    used = [chunks[i * len(chunks) // 10] for i in range(10)]
    assert [p.tempo for p in pieces] == [min(max(c.tempo or 0, 40), 320) for c in used]
    assert len({p.tempo for p in pieces}) >= 3
    assert all(p.bars == 16 and p.fallback == 0.0 for p in pieces)
    same = total = 0
    for piece, chunk in zip(pieces, used, strict=True):
        for beat in range(14 * 4):  # the composer closes on the tonic: the last two bars may differ
            middle = beat * TICKS_PER_QUARTER + TICKS_PER_QUARTER // 2
            heard = [c.symbol for c in piece.chords if c.start <= middle < c.end]
            real = [c.symbol for c in chunk.chords if c.start <= middle < c.end]
            total += 1
            same += heard == real
    # the same chords in the chunk's own key; a chord between beats moves to the nearest beat
    assert same / total >= 0.95
    # composed as the bot plays him: in the alto's line range, around where he sits (65)
    low, high = LEADS["alto sax"].line_range
    pitches = [n.pitch for p in pieces for n in p.melody if n.pitch is not None]
    assert low <= min(pitches) and max(pitches) <= high
    assert abs(statistics.median(pitches) - 65) <= 2.5
    progress = Progress(enabled=False)
    other_seeds = over_own_changes(composer, chunks, 10, "Charlie Parker", progress, 4, "alto sax")
    assert [p.chords for p in other_seeds] == [p.chords for p in pieces]
    assert [p.melody for p in other_seeds] != [p.melody for p in pieces]


def test_a_row_is_closest_to_its_own_when_its_largest_cell_is_its_own() -> None:
    matrix = {"a": {"a": 0.9, "b": 0.8}, "b": {"a": 0.95, "b": 0.9}}
    assert own_closest(matrix) == ["a"]
    assert margin(matrix) == pytest.approx((0.1 - 0.05) / 2)
    assert (
        Closeness(matrix, matrix).counted() == "1 of 2 (a), margin +0.025; key-free 1 of 2 (a), margin +0.025"
    )


def test_nll_rows_put_the_lstm_beside_the_best_n_gram_for_any_token_type() -> None:
    train = tuple(tuple([0, 1, 2, 3] * 10) for _ in range(5))  # token ids, as a new encoder may give
    tokens = evaluate.HeldOutTokens(train, ((0, 1, 2, 3, 0, 1),), tuple(range(6)), 0.5, "ids")
    rows = {row[0]: row[1:] for row in evaluate.nll_rows(tokens)}
    best = min(
        float(rows["3-gram, interpolated Kneser-Ney"][0]), float(rows["5-gram, interpolated Kneser-Ney"][0])
    )
    assert 0 < best < 1.0  # a cycle of four is easy to predict
    assert rows["LSTM"][0] == "0.500"
    ratio, goal = rows["LSTM / best n-gram"]
    assert float(ratio) == pytest.approx(0.5 / best, rel=0.05) and goal == "<= 0.85"
    unknown = evaluate.HeldOutTokens(train, ((0, 1),), (), None, "ids")
    assert [row[0] for row in evaluate.nll_rows(unknown)][-1] == "LSTM"


def test_progress_to_a_file_shows_finished_stages_only(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress()
    progress("reading WJazzD solos")
    for done in range(1, 4):
        progress("composing 16-bar pieces", done, 3)
    Progress(enabled=False)("silent")
    assert (
        capsys.readouterr().err == "evaluate: reading WJazzD solos\nevaluate: composing 16-bar pieces 3/3\n"
    )


def test_first_seed_moves_every_generated_set_to_the_seeds_from_it(composer: Composer) -> None:
    quiet = Progress(enabled=False)
    column = evaluate.generated_column(composer, 2, 7, quiet)
    assert column.label == "jazzbot (2 pieces, seeds 7..)"
    assert evaluate.generated_column(composer, 2, 0, quiet).label == "jazzbot (2 pieces)"
    assert [p.melody for p in column.pieces] == [p.melody for p in composed(composer, 2, 16, quiet, 7)]
    assert [p.melody for p in column.long] == [p.melody for p in composed(composer, 2, 64, quiet, 7)]
    assert column.pieces[0].melody != composed(composer, 1, 16, quiet)[0].melody
    assert column.distinct is not None and 0.0 < column.distinct <= 1.0
