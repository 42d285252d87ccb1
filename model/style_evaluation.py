"""Do the styles differ? The per-soloist MGEval check and two-style classifiers of ``model.evaluate``.

Issue 10 asks that "each soloist's output is closer (MGEval) to that soloist's real solos than to the
others'" and that "a classifier on generated lines tells two requested soloists apart well above
chance". The soloists are those with the most material among those the network has a slot for (and
at least :data:`MIN_REAL_CHUNKS` real 16-bar chunks); the real side of every comparison is the
soloist's 16-bar chunks (:func:`model.evaluation_sets.solo_chunks` of all of his 4/4 solos: held-out
solos alone are too few per soloist, so these are mostly solos the network learned from). Every
(requested soloist, real soloist) cell is the mean of the four MGEval overlaps
(:func:`model.two_sample.two_sided_overlaps`: both sets' intra-set distances against the inter-set
ones, as MGEval's toolbox reports them) of the pieces with the real soloist's chunks; a row is
"closest to its own" when its largest cell is on the diagonal; the report gives the count of such
rows and the mean :func:`margin` (steadier than a count of rows 0.005-0.02 apart), also over the
three features that do not depend on the key (:data:`KEY_FREE`). Seeds run from ``seed_offset``.

* **closeness over his own changes** (the issue's figure): ``n`` pieces like X, piece ``i`` over
  the chords of X's chunk ``i * len(chunks) // n`` (his chunks in order, spread evenly; cycled when
  ``n`` is larger) in the chunk's own key (:func:`model.progressions.chart_of`), at its solo's tempo
  (clamped to the composer's 40..320 bpm), seed ``seed_offset + i``, for X's own lead instrument
  as the bot plays "like X" (its line range, centred where X sits: :func:`over_own_changes`).
  The composer closes every piece on the chart's tonic, so the last one or two bars may differ from
  the chunk's. This is the design of the measure's ceiling, the real solos' own matrix (X's even
  chunks against Y's odd chunks: same player over the same tunes against another player over his):
  both sides of a diagonal cell share tunes, keys and tempi. So the same pieces with no style (the
  same requests, ``like`` None, centred where the players of X's instrument sit) are counted too:
  the rows they win come from the changes and the instrument alone.
* **closeness, style only**: ``n`` pieces like X composed as :func:`model.evaluation_sets.composed`
  does (the library's progressions, keys cycling through all twelve: the same for every style) at
  the median tempo of X's solos. Only the style and the tempo differ between rows; a real soloist
  plays in the keys of his records, so the pitch-class overlap here follows keys, not style.
* **classifiers**: for each pair of :data:`STYLE_PAIRS`, the cross-validated logistic regression of
  :func:`model.two_sample.classifier_accuracy` (seeded) on the per-piece figures of
  :func:`model.evaluate.feature_matrix`, both styles at :data:`GENERATED_TEMPO` as
  :func:`model.evaluation_sets.composed` composes them; 0.5 is chance.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.arrange.instruments import LEADS
from model.conditioning import ERAS
from model.evaluation_sets import GENERATED_TEMPO, Progress, Sample, composed, solo_chunks
from model.melody_metrics import fallback_share
from model.progressions import chart_of
from model.soloists import instrument_of
from model.two_sample import FloatArray, classifier_accuracy, features_of, two_sided_overlaps
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
BATCH = 16
"""Pieces stepped through the network together (:meth:`model.compose.Composer.compose_many`)."""

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


def over_own_changes(
    composer: Composer,
    chunks: Sequence[Sample],
    n: int,
    like: str | None,
    progress: Progress,
    seed_offset: int = 0,
    lead: str | None = None,
) -> list[Sample]:
    """``n`` pieces over the changes of ``chunks`` (a soloist's real chunks): piece ``i`` over chunk
    ``i * len(chunks) // n``'s chords in their own key, at its tempo (clamped to what the composer
    plays), seed ``seed_offset + i``, temperature 1.0, in the style ``like`` (None: none), composed
    for ``lead`` as the bot composes for it (its line range, centred where its players sit and moved
    by the style's offset within its instrument: ``ComposeRequest.lead``; None: the composer's
    default range)."""
    from model.compose import DEFAULT_HIGH, DEFAULT_LOW, MAX_TEMPO, MIN_TEMPO, ComposeRequest

    low, high = (DEFAULT_LOW, DEFAULT_HIGH) if lead is None else LEADS[lead].line_range
    requests = []
    for i in range(n):
        chunk = chunks[i * len(chunks) // n]
        tempo = min(max(chunk.tempo or GENERATED_TEMPO, MIN_TEMPO), MAX_TEMPO)
        chart = chart_of(chunk.chords, chunk.bars)
        requests.append(
            ComposeRequest(chunk.bars, tempo, None, chart, 1.0, seed_offset + i, like, low, high, lead=lead)
        )
    samples: list[Sample] = []
    stage = "composing over own changes" + (f" like {like}" if like else ", no style")
    for start in range(0, n, BATCH):
        for request, piece in zip(
            requests[start : start + BATCH],
            composer.compose_many(requests[start : start + BATCH]),
            strict=True,
        ):
            samples.append(
                Sample(piece.melody, piece.chords, piece.bars, fallback_share(piece), request.tempo)
            )
        progress(stage, len(samples), n)
    return samples


Overlaps = dict[str, dict[str, dict[str, float]]]
"""``overlaps[g][r][feature]``: the two-sided MGEval overlap (:func:`model.two_sample.two_sided_overlaps`)
of the ``g`` pieces with the real chunks of ``r``."""
KEY_FREE = ("intervals", "inter-onset times", "pitch range")
"""The MGEval features that do not depend on the key: the check composes every style in all twelve
keys in turn, while each real soloist plays in the keys of his own tunes, so the pitch-class overlap
of a style's pieces says more about the keys of its soloist's records than about the style."""


def overlaps(generated: Mapping[str, Sequence[Sample]], real: Mapping[str, Sequence[Sample]]) -> Overlaps:
    real_x = {r: features_of([s.melody for s in chunks]) for r, chunks in real.items()}
    generated_x = {g: features_of([s.melody for s in pieces]) for g, pieces in generated.items()}
    return {g: {r: two_sided_overlaps(real_x[r], x) for r in real} for g, x in generated_x.items()}


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
class Closeness:
    """One closeness matrix (``cells[g][r]``, mean of the four MGEval overlaps) and the same over
    :data:`KEY_FREE` only."""

    cells: dict[str, dict[str, float]]
    key_free: dict[str, dict[str, float]]

    @classmethod
    def of(cls, found: Overlaps) -> Closeness:
        return cls(closeness(found), closeness(found, KEY_FREE))

    def counted(self) -> str:
        """The rows closest to their own soloist and the mean :func:`margin`, e.g. ``2 of 6 (Miles
        Davis, Michael Brecker), margin -0.004; key-free 3 of 6 (...), margin +0.010``."""
        count = len(self.cells)

        def rows(matrix: Mapping[str, Mapping[str, float]]) -> str:
            own = own_closest(matrix)
            names = f" ({', '.join(own)})" if own else ""
            return f"{len(own)} of {count}{names}, margin {margin(matrix):+.3f}"

        return f"{rows(self.cells)}; key-free {rows(self.key_free)}"


def margin(matrix: Mapping[str, Mapping[str, float]]) -> float:
    """Mean over rows of the own cell minus the row's largest other cell: above 0 when rows are on
    the whole closest to their own soloist (a count of rows turns on differences of 0.005)."""
    return statistics.fmean(row[g] - max(v for r, v in row.items() if r != g) for g, row in matrix.items())


@dataclass(frozen=True, slots=True)
class StyleReport:
    soloists: tuple[str, ...]
    tempi: dict[str, int]  # each soloist's median tempo (the style-only pieces')
    own_changes: Closeness  # pieces like X over X's own changes (rows) against real Y (columns)
    unstyled_own_changes: Closeness  # the same requests with no style
    generated: Closeness  # style only: pieces like X over the library in all twelve keys
    real: Closeness  # X's even chunks against Y's odd chunks
    accuracies: dict[tuple[str, str], tuple[str, str]]  # (generated, real solos)
    pieces: int
    seed_offset: int = 0

    def markdown(self) -> str:
        from model.evaluate import markdown_table

        seeds = f"seeds {self.seed_offset}..{self.seed_offset + self.pieces - 1}"
        classifiers = markdown_table(
            [
                "two-style classifier (5-fold)",
                f"generated ({self.pieces} + {self.pieces} pieces, {seeds})",
                "real solos (16-bar chunks)",
                "goal",
            ],
            [[f"{a} vs {b}", *texts, "well above 0.5"] for (a, b), texts in self.accuracies.items()],
        )
        if len(self.soloists) < 2:
            few = f"Style closeness: fewer than two soloists with {MIN_REAL_CHUNKS} real chunks."
            return f"{few}\n\n{classifiers}"
        parts = [
            matrix_table(
                self.own_changes.cells,
                f"MGEval overlap: {self.pieces} pieces like ... over his own changes (rows, {seeds}) "
                "with real solos of ...",
            ),
            "Pieces closest to their own soloist's real solos, each over that soloist's own 16-bar "
            f"changes at his solos' tempi: {self.own_changes.counted()}. The same requests with no "
            f"style (what the changes alone give): {self.unstyled_own_changes.counted()}. Real "
            f"solos, each soloist's even 16-bar chunks against every soloist's odd ones: "
            f"{self.real.counted()}. Key-free: over the three MGEval features that do not depend on "
            f"the key ({', '.join(KEY_FREE)}).",
            matrix_table(
                {f"{g} ({self.tempi[g]} bpm)": row for g, row in self.generated.cells.items()},
                f"MGEval overlap, style only: {self.pieces} pieces like ... over the library in all "
                "twelve keys (rows) with real solos of ...",
            ),
            "Style only (every style over the same progressions and keys, at his median tempo): "
            f"{self.generated.counted()}.",
            matrix_table(
                self.real.cells, "MGEval overlap: real even chunks of ... (rows) with real odd chunks of ..."
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
    seed_offset: int = 0,
) -> StyleReport:
    """Compose ``n`` 16-bar pieces per style and design (seeds ``seed_offset``..) and measure both
    checks; ``features`` is the classifier's per-piece input (``model.evaluate.feature_matrix``)."""
    candidates = soloists_by_material(solos, composer, len(solos))
    real = {p: solo_chunks(playing(solos, p), CHUNK_BARS) for p in candidates}
    chosen = [p for p in candidates if len(real[p]) >= MIN_REAL_CHUNKS][:soloists]
    real = {p: real[p] for p in chosen}
    pieces: dict[tuple[str, int], list[Sample]] = {}

    def like(style: str, tempo: int) -> list[Sample]:
        if (style, tempo) not in pieces:
            pieces[(style, tempo)] = composed(
                composer, n, CHUNK_BARS, progress, seed_offset, like=style, tempo=tempo
            )
        return pieces[(style, tempo)]

    tempi = {p: soloist_tempo(solos, p) for p in chosen}

    def over_own(styled: bool) -> Overlaps:
        """Each soloist's rows over his own changes, for his lead, in his style or none."""
        return overlaps(
            {
                p: over_own_changes(
                    composer, real[p], n, p if styled else None, progress, seed_offset, instrument_of(p)
                )
                for p in chosen
            },
            real,
        )

    own_changes, unstyled = over_own(True), over_own(False)
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
        Closeness.of(own_changes),
        Closeness.of(unstyled),
        Closeness.of(cells),
        Closeness.of(real_cells),
        accuracies,
        n,
        seed_offset,
    )
