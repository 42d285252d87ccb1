"""``python -m model.reference_figures [--build] [--meter 3/4] [--wjazzd DIR] [--out FILE]``: the few
figures a clip's "Why?" shows, and the real solos' values to set them beside.

:data:`CLIP_FIGURES` picks rows of :data:`model.evaluate.FIGURES` by their label, so a clip is measured
(:func:`measure`) with exactly the functions ``python -m model.evaluate`` uses. ``--build`` measures
the real solos the way ``model.evaluate`` does (its "real solos" column: the held-out WJazzD solos of
:func:`model.wjazzd.split`, 4/4, in 16-bar chunks over chord-covered spans) and writes, per figure, the
mean and the quartiles to the committed table ``model/data/reference_figures.json``; the same data gives
the same file byte for byte. Without ``--build`` it prints the committed table. The bot reads the table
only (:func:`load_reference`): no ``../shared``, no TensorFlow or music21.

A waltz is set beside real waltz-time solos: ``--meter 3/4`` measures every 3/4 solo of WJazzD (8 solos;
none is held out, and none needs to be: the soloist learned from 4/4 solos only) in 16-bar chunks of
3/4 bars, into ``model/data/reference_figures_3-4.json`` (:func:`reference_for`).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from model.errors import InputError
from model.melody_metrics import held_over_share
from model.meter import meter_name, parse_meter
from model.paths import DATA_DIR
from model.piece import bar_ticks

if TYPE_CHECKING:
    from model.evaluate import Figure
    from model.evaluation_sets import Sample

REFERENCE_FILES = {4: DATA_DIR / "reference_figures.json", 3: DATA_DIR / "reference_figures_3-4.json"}
"""The committed table of each meter (beats per bar)."""
REFERENCE_FILE = REFERENCE_FILES[4]
CHUNK_BARS = 16  # model.evaluate's per-piece figures are over 16-bar chunks
DECIMALS = 6  # the table is rounded so that a rebuild compares exactly


@dataclass(frozen=True, slots=True)
class ClipFigure:
    """One figure the "Why?" view shows: its key in the table, the :data:`model.evaluate.FIGURES`
    label it is measured by, and its unit ("share": a fraction shown in percent; "semitones")."""

    key: str
    label: str
    unit: str


CLIP_FIGURES: tuple[ClipFigure, ...] = (
    ClipFigure("chord_tones", "notes on chord tones", "share"),
    ClipFigure("chord_or_scale_tones", "notes on chord or scale tones", "share"),
    ClipFigure("motif_exact", "exact 4-note motif recurrence", "share"),
    ClipFigure("motif_contour", "4-note contour recurrence", "share"),
    ClipFigure("range", "pitch range (semitones)", "semitones"),
    ClipFigure("repeated_notes", "repeated notes", "share"),
    ClipFigure("held_over", "notes held over a bar line", "share"),
)


@cache
def _evaluated() -> tuple[Figure, ...]:
    """The :data:`model.evaluate.FIGURES` rows of :data:`CLIP_FIGURES`, in order. Imported on first use:
    ``model.evaluate`` brings the corpus, WJazzD and two-sample modules (~50 ms), which a bot that only
    loads the table does not need at start."""
    from model.evaluate import FIGURES

    by_label = {figure.label: figure for figure in FIGURES}
    return tuple(by_label[figure.label] for figure in CLIP_FIGURES)


METER_FIGURES = ("held_over",)
"""The :data:`CLIP_FIGURES` that count bar lines; the others do not depend on the meter."""


def measure(sample: Sample, beats_per_bar: int = 4) -> dict[str, float]:
    """Every :data:`CLIP_FIGURES` figure of ``sample``, by key, as ``model.evaluate`` computes it (each
    of these is a number for any sample, an empty one included). ``model.evaluate`` counts bar lines
    in 4/4; a waltz's (``beats_per_bar`` 3) are counted in its own bars, with the same function."""
    figures = {
        figure.key: float(evaluated.measure(sample) or 0.0)
        for figure, evaluated in zip(CLIP_FIGURES, _evaluated(), strict=True)
    }
    if beats_per_bar != 4:
        figures["held_over"] = held_over_share(sample.melody, bar_ticks(beats_per_bar))
    return figures


@dataclass(frozen=True, slots=True)
class Reference:
    """The real chunks' values of one figure: mean, quartiles (``low`` 25%, ``median``, ``high`` 75%)."""

    mean: float
    low: float
    median: float
    high: float


@dataclass(frozen=True, slots=True)
class ReferenceTable:
    """The real solos' figures and what they were measured on."""

    source: str
    chunks: int
    solos: int
    bars: int
    figures: dict[str, Reference]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReferenceTable:
        data = json.loads(text)
        figures = {key: Reference(**values) for key, values in data.pop("figures").items()}
        missing = sorted({figure.key for figure in CLIP_FIGURES} - set(figures))
        if missing:
            raise InputError(f"the reference table lacks {', '.join(missing)}; rebuild it with --build.")
        return cls(figures=figures, **data)


def reference_of(chunks: Sequence[Sample], solos: int, beats_per_bar: int = 4) -> ReferenceTable:
    """The table for ``chunks`` (taken from ``solos`` solos, in bars of ``beats_per_bar``)."""
    if len(chunks) < 2:
        raise InputError(f"only {len(chunks)} real 16-bar chunks to measure; point --wjazzd at more solos.")
    measured = [measure(chunk, beats_per_bar) for chunk in chunks]
    figures = {}
    for figure in CLIP_FIGURES:
        values = [m[figure.key] for m in measured]
        low, median, high = statistics.quantiles(values, n=4)
        figures[figure.key] = Reference(
            *(round(v, DECIMALS) for v in (statistics.fmean(values), low, median, high))
        )
    source = (
        "held-out WJazzD solos (model.wjazzd.split), 4/4, 16-bar chunks, as python -m model.evaluate"
        if beats_per_bar == 4
        else f"every {meter_name(beats_per_bar)} WJazzD solo (the soloist learned 4/4 only), "
        "16-bar chunks, as python -m model.evaluate"
    )
    return ReferenceTable(
        source,
        len(chunks),
        solos,
        CHUNK_BARS,
        figures,
    )


def build(wjazzd: Path | None = None, beats_per_bar: int = 4) -> ReferenceTable:
    """Measure the real solos as ``model.evaluate`` does (``wjazzd`` None: the shared WJazzD folder):
    the held-out 4/4 solos, or every solo in ``beats_per_bar`` 3 (none was trained on)."""
    from model.evaluation_sets import solo_chunks
    from model.wjazzd import load_solos, split

    solos = load_solos(wjazzd).solos
    if beats_per_bar == 4:
        _, held_out = split(solo.name for solo in solos)
        valid = [solo for solo in solos if solo.name in set(held_out)]
    else:
        valid = [solo for solo in solos if solo.beats_per_bar == beats_per_bar]
    return reference_of(solo_chunks(valid, CHUNK_BARS, beats_per_bar), len(valid), beats_per_bar)


@cache
def load_reference(path: Path = REFERENCE_FILE) -> ReferenceTable:
    """The committed table (read once per process)."""
    return ReferenceTable.from_json(path.read_text())


def reference_for(beats_per_bar: int) -> ReferenceTable:
    """The committed table of real solos in the meter of ``beats_per_bar`` (4 or 3)."""
    return load_reference(REFERENCE_FILES[beats_per_bar])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.reference_figures", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--build", action="store_true", help="measure the real solos and write the table")
    parser.add_argument("--meter", default="4/4", help="the solos' meter: 4/4 (default) or 3/4")
    parser.add_argument("--wjazzd", type=Path, help="WJazzD folder (default: shared)")
    parser.add_argument("--out", type=Path, help="where --build writes the table (default: the meter's)")
    args = parser.parse_args(argv)
    try:
        beats = parse_meter(args.meter)
        out = args.out or REFERENCE_FILES[beats]
        if args.build:
            text = build(args.wjazzd, beats).to_json()
            out.write_text(text)
            print(f"wrote {out}")
        else:
            text = load_reference(out).to_json()
    except InputError as error:
        print(f"error: {error}")
        return 2
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
