"""Set-against-set comparisons: MGEval overlap areas and a cross-validated real-vs-generated classifier.

*MGEval* (Yang & Lerch, "On the evaluation of generative models in music", 2018): for one feature,
the distances between every pair of pieces of the real set (intra-set) and between every real and
every generated piece (inter-set) are each smoothed into a density by a Gaussian kernel density
estimate; the overlap area of the two densities is 1 when the generated pieces sit among the real
ones as the real ones sit among themselves, and near 0 when they are elsewhere. That one-sided figure
is the issue's overlap goal. MGEval's toolbox reports the other side too (the generated set's
intra-set distances against the same inter-set ones); the style checks use the mean of both sides
(:func:`two_sided_overlaps`), which tells the real soloists' own halves apart where the one-sided
figure does not (docs/MODEL.md, "Closeness, session 10").

*Classifier two-sample test*: an L2-regularised logistic regression on standardised per-piece
feature vectors, k-fold cross-validated with the classes balanced; accuracy near 0.5 means the
classifier cannot tell the sets apart.

NumPy only (SciPy and scikit-learn are not dependencies).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from model.melody_metrics import line_of
from model.piece import TICKS_PER_QUARTER, Note

FloatArray = npt.NDArray[np.float64]

INTERVAL_LIMIT = 12
"""Interval histogram bins: -12..+12 semitones, larger leaps counted in the outermost bins."""
IOI_EDGES = (0.2, 0.29, 0.42, 0.58, 0.83, 1.5, 3.0, 6.0)
"""Inter-onset-time histogram bin edges in beats, halfway between the common values: 1/6 (sextuplet),
1/4 (sixteenth), 1/3 (triplet), 1/2 (eighth), 2/3, 1, 2, 4 beats and longer."""
DENSITY_POINTS = 2048


def pitch_class_histogram(notes: Sequence[Note]) -> FloatArray:
    """Share of notes on each of the 12 pitch classes (C = 0)."""
    counts = np.bincount([(n.pitch or 0) % 12 for n in line_of(notes)], minlength=12).astype(float)
    return counts / max(counts.sum(), 1.0)


def interval_histogram(notes: Sequence[Note]) -> FloatArray:
    """Share of consecutive-note intervals on each of -12..+12 semitones (wider ones clipped)."""
    pitches = [n.pitch or 0 for n in line_of(notes)]
    steps = np.clip([b - a for a, b in pairwise(pitches)], -INTERVAL_LIMIT, INTERVAL_LIMIT).astype(int)
    counts = np.bincount(steps + INTERVAL_LIMIT, minlength=2 * INTERVAL_LIMIT + 1).astype(float)
    return counts / max(counts.sum(), 1.0)


def ioi_histogram(notes: Sequence[Note]) -> FloatArray:
    """Share of inter-onset times in each :data:`IOI_EDGES` bin."""
    onsets = [n.start / TICKS_PER_QUARTER for n in line_of(notes)]
    gaps = [b - a for a, b in pairwise(onsets)]
    counts = np.bincount(np.searchsorted(IOI_EDGES, gaps), minlength=len(IOI_EDGES) + 1).astype(float)
    return counts / max(counts.sum(), 1.0)


def pitch_range_feature(notes: Sequence[Note]) -> FloatArray:
    pitches = [n.pitch or 0 for n in line_of(notes)]
    return np.array([float(max(pitches) - min(pitches)) if pitches else 0.0])


MGEVAL_FEATURES = {
    "pitch classes": pitch_class_histogram,
    "intervals": interval_histogram,
    "inter-onset times": ioi_histogram,
    "pitch range": pitch_range_feature,
}


def _pairwise_distances(a: FloatArray, b: FloatArray) -> FloatArray:
    """Euclidean distance between every row of ``a`` and every row of ``b``."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def intra_inter(real: FloatArray, generated: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(distances between distinct real pieces, distances from each real to each generated piece)."""
    return _within(real), _pairwise_distances(real, generated).ravel()


def _bandwidth(values: FloatArray) -> float:
    """Scott's rule (SciPy's ``gaussian_kde`` default in one dimension): sd x n^(-1/5)."""
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return spread * len(values) ** -0.2


def _density(values: FloatArray, bandwidth: float, grid: FloatArray) -> FloatArray:
    """Gaussian KDE of ``values`` on the evenly spaced ``grid``: the values binned onto the grid,
    then convolved with the kernel (exact up to the grid spacing, fast for 10^6 distances)."""
    step = grid[1] - grid[0]
    index = np.clip(np.rint((values - grid[0]) / step).astype(int), 0, len(grid) - 1)
    counts = np.bincount(index, minlength=len(grid)).astype(float)
    sigma = max(bandwidth, step) / step
    offsets = np.arange(-int(np.ceil(4 * sigma)), int(np.ceil(4 * sigma)) + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    smooth = np.convolve(counts, kernel, mode="same")
    return smooth / (smooth.sum() * step)


def overlap_area(a: FloatArray, b: FloatArray) -> float:
    """Area under min(density of ``a``, density of ``b``), both Gaussian KDEs (Scott bandwidth),
    integrated over the whole support (both ranges plus four bandwidths each side): 1.0 for
    identical samples, 0.0 for far-apart ones."""
    if len(a) == 0 or len(b) == 0:
        raise ValueError("overlap of an empty sample")
    low, high = min(a.min(), b.min()), max(a.max(), b.max())
    scale = max(high - low, 1e-9)
    width_a = max(_bandwidth(a), scale * 1e-3)
    width_b = max(_bandwidth(b), scale * 1e-3)
    pad = 4 * max(width_a, width_b)
    grid = np.linspace(low - pad, high + pad, DENSITY_POINTS)
    both = np.minimum(_density(a, width_a, grid), _density(b, width_b, grid))
    return float(min(1.0, both.sum() * (grid[1] - grid[0])))


def mgeval_overlaps(real: Sequence[Sequence[Note]], generated: Sequence[Sequence[Note]]) -> dict[str, float]:
    """Per :data:`MGEVAL_FEATURES` feature, the overlap of the real set's intra-set distances with the
    real-to-generated inter-set distances (MGEval's relative measure)."""
    if len(real) < 2 or not generated:
        raise ValueError("MGEval needs at least two real pieces and one generated piece")
    real_x, generated_x = features_of(real), features_of(generated)
    return {name: overlap_area(*intra_inter(real_x[name], generated_x[name])) for name in MGEVAL_FEATURES}


def features_of(pieces: Sequence[Sequence[Note]]) -> dict[str, FloatArray]:
    """Each :data:`MGEVAL_FEATURES` feature of every piece (one row a piece)."""
    return {name: np.array([feature(m) for m in pieces]) for name, feature in MGEVAL_FEATURES.items()}


def two_sided_overlaps(
    real: Mapping[str, FloatArray], generated: Mapping[str, FloatArray]
) -> dict[str, float]:
    """Per feature (:func:`features_of` of each set), the mean of both sides' overlaps: the real
    set's intra-set distances and the generated set's, each with the inter-set distances.

    The one-sided figure favours a broad real set: its intra-set distances are long, so pieces that
    sit anywhere inside it overlap well whatever their own spread. A set as tight as a player who
    keeps to a fifth (or as loose as one who runs two octaves) is judged by its own spread too."""
    if any(len(x) < 2 for x in (*real.values(), *generated.values())):
        raise ValueError("the two-sided overlap needs at least two pieces on each side")
    result = {}
    for name, real_x in real.items():
        generated_x = generated[name]
        inter = _pairwise_distances(real_x, generated_x).ravel()
        real_side = overlap_area(_within(real_x), inter)
        result[name] = (real_side + overlap_area(_within(generated_x), inter)) / 2
    return result


def _within(x: FloatArray) -> FloatArray:
    """The distances between distinct rows of ``x``."""
    return _pairwise_distances(x, x)[np.triu_indices(len(x), k=1)]


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Cross-validated accuracy: mean and sample sd over folds, and the pieces per class used."""

    mean: float
    sd: float
    per_class: int


def fit_logistic(x: FloatArray, y: FloatArray, l2: float = 1.0, iterations: int = 25) -> FloatArray:
    """Weights (bias last) of an L2-regularised logistic regression fitted by Newton's method; the
    bias is not penalised. ``x`` should be standardised."""
    design = np.hstack([x, np.ones((len(x), 1))])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        update = np.linalg.solve(hessian, gradient)
        weights -= update
        if np.abs(update).max() < 1e-8:
            break
    return weights


def stratified_folds(labels: Sequence[int], k: int, seed: int) -> list[npt.NDArray[np.int64]]:
    """``k`` disjoint index sets, each class shuffled with ``seed`` and dealt round-robin."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    for label in sorted(set(labels)):
        members = np.flatnonzero(np.asarray(labels) == label)
        for position, index in enumerate(rng.permutation(members)):
            folds[position % k].append(int(index))
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def classifier_accuracy(
    real: FloatArray, generated: FloatArray, k: int = 5, seed: int = 0, l2: float = 1.0
) -> Accuracy:
    """How well a logistic regression tells real from generated feature rows, k-fold cross-validated.

    The larger set is subsampled (with ``seed``) to the smaller one's size so that chance is 0.5;
    each fold's features are standardised with the training folds' mean and sd.
    """
    per_class = min(len(real), len(generated))
    if per_class < k:
        raise ValueError(f"a {k}-fold test needs at least {k} pieces per set, not {per_class}")
    rng = np.random.default_rng(seed)
    x = np.vstack(
        [
            real[np.sort(rng.choice(len(real), per_class, replace=False))],
            generated[np.sort(rng.choice(len(generated), per_class, replace=False))],
        ]
    )
    y = np.repeat([1.0, 0.0], per_class)
    accuracies = []
    for test in stratified_folds(list(y.astype(int)), k, seed):
        train = np.setdiff1d(np.arange(len(y)), test)
        mean, sd = x[train].mean(0), x[train].std(0)
        sd[sd == 0] = 1.0
        weights = fit_logistic((x[train] - mean) / sd, y[train], l2)
        scores = np.hstack([(x[test] - mean) / sd, np.ones((len(test), 1))]) @ weights
        accuracies.append(float(((scores > 0) == (y[test] == 1)).mean()))
    return Accuracy(statistics.fmean(accuracies), statistics.stdev(accuracies), per_class)
