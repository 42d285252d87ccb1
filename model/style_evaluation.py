"""Do the styles differ? The per-soloist MGEval check and two-style classifiers of ``model.evaluate``.

Issue 10 asks that "each soloist's output is closer (MGEval) to that soloist's real solos than to the
others'" and that "a classifier on generated lines tells two requested soloists apart well above
chance". Both are measured here on pieces composed with the same seeds, keys and progressions for
every style (:func:`model.evaluation_sets.composed` with ``like``), so only the style (and, for the
closeness, the tempo) differs:

* **closeness**: for the soloists with the most material among those the network has a slot for,
  ``n`` pieces ``like`` each at the median tempo of that soloist's solos (the real chunks are at the
  soloist's own tempos, and notes per bar and inter-onset times follow the tempo); every (requested
  soloist, real soloist) cell is the mean of the four MGEval overlaps
  (:func:`model.two_sample.mgeval_overlaps`) of those pieces with the real soloist's 16-bar chunks
  (all of that soloist's 4/4 solos: held-out solos alone are too few per soloist, so these are
  mostly solos the network learned from). A row is "closest to its own" when its largest
  cell is on the diagonal. The same matrix for the real solos themselves (each soloist's even chunks
  against every soloist's odd chunks) shows how far the measure can tell soloists apart at all.
  The report also counts the rows over the three features that do not depend on the key
  (:data:`KEY_FREE`): every style is composed in all twelve keys in turn, a real soloist plays in
  the keys of his own records.
* **classifiers**: for each pair of :data:`STYLE_PAIRS`, the cross-validated logistic regression of
  :func:`model.two_sample.classifier_accuracy` (seeded) on the per-piece figures of
  :func:`model.evaluate.feature_matrix`, both styles at :data:`GENERATED_TEMPO`; 0.5 is chance.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.conditioning import ERAS
from model.evaluation_sets import GENERATED_TEMPO, Progress, Sample, composed, solo_chunks
from model.two_sample import FloatArray, classifier_accuracy, mgeval_overlaps
from model.wjazzd import Solo

if TYPE_CHECKING:
    from model.compose import Composer

STYLE_PAIRS: tuple[tuple[str, str], ...] = (
    ("Charlie Parker", "John Coltrane"),
    ("bebop", "cool"),
    ("Lee Konitz", "Sonny Rollins"),
)
"""The pairs of requested styles the classifiers tell apart (soloists and eras alike)."""
DEFAULT_SOLOISTS = 6
CHUNK_BARS = 16
MIN_REAL_CHUNKS = 10

Features = Callable[[Sequence[Sample]], FloatArray]


def soloists_by_material(solos: Sequence[Solo], composer: Composer, count: int) -> list[str]:
    """The ``count`` performers with the most notes in 4/4 solos among those the network knows by
    name (``like`` plays them, not their era)."""
    notes: dict[str, int] = {}
    for solo in solos:
        if solo.beats_per_bar == 4:
            notes[solo.performer] = notes.get(solo.performer, 0) + len(solo.notes)
    known = [p for p in notes if composer.style(p).soloist == p]
    return sorted(known, key=lambda p: (-notes[p], p))[:count]


def playing(solos: Sequence[Solo], style: str) -> list[Solo]:
    """The solos of a style as ``like`` names it: a performer's, or an era's (:data:`ERAS`)."""
    return [s for s in solos if s.performer == style or (style in ERAS and s.era == style)]


def soloist_tempo(solos: Sequence[Solo], performer: str) -> int:
    """The median tempo of the performer's 4/4 solos (bpm, whole)."""
    return round(
        statistics.median(s.tempo for s in solos if s.performer == performer and s.beats_per_bar == 4)
    )


Overlaps = dict[str, dict[str, dict[str, float]]]
"""``overlaps[g][r][feature]``: one MGEval overlap of the ``g`` pieces with the real chunks of ``r``."""
KEY_FREE = ("intervals", "inter-onset times", "pitch range")
"""The MGEval features that do not depend on the key: the check composes every style in all twelve
keys in turn, while each real soloist plays in the keys of his own tunes, so the pitch-class overlap
of a style's pieces says more about the keys of its soloist's records than about the style."""


def overlaps(generated: Mapping[str, Sequence[Sample]], real: Mapping[str, Sequence[Sample]]) -> Overlaps:
    return {
        g: {
            r: mgeval_overlaps([s.melody for s in chunks], [s.melody for s in pieces])
            for r, chunks in real.items()
        }
        for g, pieces in generated.items()
    }


def closeness(found: Overlaps, features: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """``result[g][r]``: mean of the overlaps of the ``g`` pieces with the real chunks of ``r``, over
    ``features`` (None: all four)."""
    return {
        g: {
            r: statistics.fmean(v for k, v in cell.items() if features is None or k in features)
            for r, cell in row.items()
        }
        for g, row in found.items()
    }


def own_closest(matrix: Mapping[str, Mapping[str, float]]) -> list[str]:
    """The rows whose largest cell is their own column."""
    return [g for g, row in matrix.items() if max(row, key=row.__getitem__) == g]


def matrix_table(matrix: Mapping[str, Mapping[str, float]], corner: str) -> str:
    from model.evaluate import markdown_table

    columns = list(next(iter(matrix.values())))
    rows = []
    for g, row in matrix.items():
        best = max(row.values())
        rows.append([g, *(f"**{row[r]:.3f}**" if row[r] == best else f"{row[r]:.3f}" for r in columns)])
    return markdown_table([corner, *columns], rows)


@dataclass(frozen=True, slots=True)
class StyleReport:
    soloists: tuple[str, ...]
    tempi: dict[str, int]
    generated: dict[str, dict[str, float]]
    real: dict[str, dict[str, float]]
    generated_key_free: dict[str, dict[str, float]]  # over KEY_FREE only
    real_key_free: dict[str, dict[str, float]]
    accuracies: dict[tuple[str, str], tuple[str, str]]  # (generated, real solos)
    pieces: int

    def markdown(self) -> str:
        from model.evaluate import markdown_table

        count = len(self.soloists)
        own = own_closest(self.generated)
        real_own = own_closest(self.real)
        classifiers = markdown_table(
            [
                "two-style classifier (5-fold)",
                f"generated ({self.pieces} + {self.pieces} pieces)",
                "real solos (16-bar chunks)",
                "goal",
            ],
            [[f"{a} vs {b}", *texts, "well above 0.5"] for (a, b), texts in self.accuracies.items()],
        )
        if count < 2:
            few = f"Style closeness: fewer than two soloists with {MIN_REAL_CHUNKS} real chunks."
            return f"{few}\n\n{classifiers}"
        parts = [
            matrix_table(
                {f"{g} ({self.tempi[g]} bpm)": row for g, row in self.generated.items()},
                f"MGEval overlap: {self.pieces} pieces like ... (rows) with real solos of ...",
            ),
            f"Pieces closest to their own soloist's real solos: {len(own)} of {count}"
            + (f" ({', '.join(own)})." if own else ".")
            + f" Real solos, each soloist's even 16-bar chunks against every soloist's odd ones: "
            f"{len(real_own)} of {count}. Over the three MGEval features that do not depend on the key "
            f"({', '.join(KEY_FREE)}): {len(own_closest(self.generated_key_free))} of {count}"
            f" ({', '.join(own_closest(self.generated_key_free))}); real solos "
            f"{len(own_closest(self.real_key_free))} of {count}.",
            matrix_table(
                self.real, "MGEval overlap: real even chunks of ... (rows) with real odd chunks of ..."
            ),
            classifiers,
        ]
        return "\n\n".join(parts)


def style_report(
    composer: Composer,
    solos: Sequence[Solo],
    n: int,
    features: Features,
    progress: Progress,
    soloists: int = DEFAULT_SOLOISTS,
    pairs: Sequence[tuple[str, str]] = STYLE_PAIRS,
) -> StyleReport:
    """Compose ``n`` 16-bar pieces per style (seeds 0..n-1, as :func:`composed`) and measure both
    checks; ``features`` is the classifier's per-piece input (``model.evaluate.feature_matrix``)."""
    candidates = soloists_by_material(solos, composer, len(solos))
    real = {p: solo_chunks(playing(solos, p), CHUNK_BARS) for p in candidates}
    chosen = [p for p in candidates if len(real[p]) >= MIN_REAL_CHUNKS][:soloists]
    real = {p: real[p] for p in chosen}
    pieces: dict[tuple[str, int], list[Sample]] = {}

    def like(style: str, tempo: int) -> list[Sample]:
        if (style, tempo) not in pieces:
            pieces[(style, tempo)] = composed(composer, n, CHUNK_BARS, progress, like=style, tempo=tempo)
        return pieces[(style, tempo)]

    tempi = {p: soloist_tempo(solos, p) for p in chosen}
    cells = overlaps({p: like(p, tempi[p]) for p in chosen}, real)
    real_cells = overlaps({p: c[0::2] for p, c in real.items()}, {p: c[1::2] for p, c in real.items()})
    accuracies = {}
    for a, b in pairs:
        result = classifier_accuracy(features(like(a, GENERATED_TEMPO)), features(like(b, GENERATED_TEMPO)))
        text = f"{result.mean:.2f} ± {result.sd:.2f}"
        real_a, real_b = (solo_chunks(playing(solos, style), CHUNK_BARS) for style in (a, b))
        if min(len(real_a), len(real_b)) >= MIN_REAL_CHUNKS:
            found = classifier_accuracy(features(real_a), features(real_b))
            accuracies[(a, b)] = (text, f"{found.mean:.2f} ± {found.sd:.2f} ({found.per_class} per class)")
        else:
            accuracies[(a, b)] = (text, "- (too few chunks)")
    progress("style classifiers", len(pairs), len(pairs))
    return StyleReport(
        tuple(chosen),
        tempi,
        closeness(cells),
        closeness(real_cells),
        closeness(cells, KEY_FREE),
        closeness(real_cells, KEY_FREE),
        accuracies,
        n,
    )
