"""MGEval overlap areas and the real-vs-generated classifier on sets with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from model.piece import Note
from model.two_sample import (
    classifier_accuracy,
    features_of,
    interval_histogram,
    ioi_histogram,
    mgeval_overlaps,
    overlap_area,
    pitch_class_histogram,
    stratified_folds,
    two_sided_overlaps,
)


def melody(rng: np.random.Generator, centre: int, step: int, length: int) -> list[Note]:
    pitches = centre + np.cumsum(rng.integers(-step, step + 1, 24))
    return [Note(int(p), i * length, length) for i, p in enumerate(pitches)]


def test_overlap_of_a_sample_with_itself_is_one_and_with_a_far_one_zero() -> None:
    rng = np.random.default_rng(0)
    sample = rng.normal(0, 1, 4000)
    assert overlap_area(sample, sample) == pytest.approx(1.0, abs=1e-9)
    assert overlap_area(sample, rng.normal(0, 1, 3000)) > 0.95
    assert overlap_area(sample, sample + 20) == pytest.approx(0.0, abs=1e-6)
    assert 0.2 < overlap_area(sample, sample + 2) < 0.5  # two unit normals 2 sd apart share ~0.32
    assert overlap_area(np.ones(5), np.ones(5)) == pytest.approx(1.0)


def test_features_are_normalised_histograms() -> None:
    notes = [Note(60, 0, 240), Note(67, 240, 240), Note(60, 480, 960), Note(80, 1440, 480)]
    assert pitch_class_histogram(notes)[[0, 7, 8]].tolist() == [0.5, 0.25, 0.25]
    intervals = interval_histogram(notes)
    assert intervals.sum() == pytest.approx(1.0)
    assert intervals[12 + 7] == intervals[12 - 7] == intervals[24] == pytest.approx(1 / 3)  # +20 clipped
    iois = ioi_histogram(notes)  # 1/2, 1/2 and 2 beats
    assert iois[3] == pytest.approx(2 / 3) and iois[6] == pytest.approx(1 / 3)


def test_mgeval_overlaps_are_high_for_the_same_style_and_low_for_another() -> None:
    rng = np.random.default_rng(1)
    real = [melody(rng, 67, 2, 240) for _ in range(60)]
    alike = [melody(rng, 67, 2, 240) for _ in range(40)]
    other = [melody(rng, 40, 9, 960) for _ in range(40)]
    same = mgeval_overlaps(real, alike)
    different = mgeval_overlaps(real, other)
    assert set(same) == {"pitch classes", "intervals", "inter-onset times", "pitch range"}
    assert min(same.values()) > 0.8
    assert different["intervals"] < 0.2 and different["inter-onset times"] < 0.2
    assert different["pitch range"] < 0.3


def test_the_two_sided_overlap_also_judges_the_generated_sets_own_spread() -> None:
    rng = np.random.default_rng(3)
    wide = [melody(rng, 67, 4, 240) for _ in range(60)]  # ranges from a fifth to two octaves
    alike = features_of([melody(rng, 67, 4, 240) for _ in range(40)])
    tight = [melody(rng, 67, 4, 240) for _ in range(400)]
    ranges = np.array([max(n.pitch or 0 for n in m) - min(n.pitch or 0 for n in m) for m in tight])
    middle = [m for m, r in zip(tight, ranges, strict=True) if abs(r - np.median(ranges)) <= 1][:40]
    real = features_of(wide)
    same = two_sided_overlaps(real, alike)
    assert set(same) == {"pitch classes", "intervals", "inter-onset times", "pitch range"}
    assert min(same.values()) > 0.75
    # pieces all of the middle range sit well inside the wide set (one side high), but their own
    # distances are far shorter than the real set's (the other side low)
    one_sided = mgeval_overlaps(wide, middle)["pitch range"]
    two_sided = two_sided_overlaps(real, features_of(middle))["pitch range"]
    assert one_sided > 0.5 and two_sided < one_sided - 0.2
    with pytest.raises(ValueError):
        two_sided_overlaps(real, features_of(middle[:1]))


def test_folds_are_disjoint_stratified_and_cover_everything() -> None:
    labels = [1] * 23 + [0] * 23
    folds = stratified_folds(labels, 5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(46))
    for fold in folds:
        ones = sum(labels[i] for i in fold)
        assert abs(ones - (len(fold) - ones)) <= 1


def test_the_classifier_separates_different_sets_and_not_two_samples_of_one() -> None:
    rng = np.random.default_rng(2)
    real = rng.normal(0, 1, (150, 8))
    assert classifier_accuracy(real, rng.normal(1.5, 1, (90, 8))).mean > 0.95
    same = classifier_accuracy(real, rng.normal(0, 1, (150, 8)))
    assert abs(same.mean - 0.5) < 0.12 and same.per_class == 150
    with pytest.raises(ValueError):
        classifier_accuracy(real, real[:3])
