"""The committed tune table: every readable corpus chart as one compact row, loaded without ../shared.

``python -m model.tunes --build`` reads ``../shared/data/chord-progressions`` and writes
:data:`~model.paths.TUNES_FILE` (sorted by file name, gzip with a zero timestamp, so the same
charts always give the same bytes). A row is ``[slug, title, composer, key, beats per bar, style
tags, file, chart]``; the chart is the bars joined by ``|`` in the tune's key, ``%`` repeating the
bar before and ``Chord:beats`` only where a bar is not split the default way
(:data:`model.progressions.EVEN_SPLITS`). Rows are parsed into chords only when a tune is played.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from model.paths import TUNES_FILE
from model.progressions import Progression, bar_text, parse_chart, slugify
from model.theory import Key, parse_key
from model.tunes.chart import Chart, ChartError, read_chart_file
from model.tunes.styles import style_tags


@dataclass(frozen=True, slots=True)
class Tune:
    """One tune of the library; ``chart`` holds its bars in the table's encoding."""

    slug: str
    title: str
    composer: str
    key: Key
    beats_per_bar: int
    styles: tuple[str, ...]
    source: str
    chart: str

    @property
    def bars(self) -> int:
        """Bars in one chorus."""
        return self.chart.count("|") + 1

    @property
    def progression(self) -> Progression:
        """The tune as a :class:`Progression` (parsed once per tune)."""
        return _progression(self)


@cache
def _progression(tune: Tune) -> Progression:
    parsed = parse_chart(
        "|" + tune.chart + "|", tune.key, tune.slug, tune.title, beats_per_bar=tune.beats_per_bar
    )
    return replace(parsed, source=f"chord-progressions/{tune.source}", composer=tune.composer)


def encode(chart: Chart) -> str:
    cells: list[str] = []
    for index, bar in enumerate(chart.bars):
        cells.append("%" if index and bar == chart.bars[index - 1] else bar_text(bar, chart.key))
    return "|".join(cells)


def build(folder: Path) -> tuple[list[Tune], list[tuple[str, str]]]:
    """Every chart in ``folder`` as a :class:`Tune` (unique slugs; a second "Wave" becomes
    "Wave (version 2)", a second "Angela" by another composer "Angela (Antonio Carlos Jobim)"),
    and the files left out with the reason."""
    tunes: list[Tune] = []
    skipped: list[tuple[str, str]] = []
    seen: Counter[str] = Counter()
    titles: set[str] = set()
    first_composer: dict[str, str] = {}
    for path in sorted(folder.glob("*.txt")):
        try:
            chart = read_chart_file(path)
        except ChartError as error:
            skipped.append((path.name, str(error).removeprefix(f"{path.name}: ")))
            continue
        slug = slugify(chart.title)
        seen[slug] += 1
        first_composer.setdefault(slug, chart.composer)
        choices = [chart.title, f"{chart.title} (version {seen[slug]})"]
        if chart.composer != first_composer[slug]:
            choices.insert(1, f"{chart.title} ({chart.composer})")
        title = next(choice for choice in choices if choice not in titles)
        titles.add(title)
        tags = style_tags(chart.title, chart.composer, chart.key, chart.beats_per_bar, chart.bars)
        tunes.append(
            Tune(
                slug if seen[slug] == 1 else f"{slug}-{seen[slug]}",
                title,
                chart.composer,
                chart.key,
                chart.beats_per_bar,
                tags,
                path.name,
                encode(chart),
            )
        )
    return tunes, skipped


def to_bytes(tunes: Sequence[Tune]) -> bytes:
    rows = [
        json.dumps(
            [t.slug, t.title, t.composer, t.key.name, t.beats_per_bar, " ".join(t.styles), t.source, t.chart],
            ensure_ascii=False,
        )
        for t in tunes
    ]
    text = '{"tunes": [\n' + ",\n".join(rows) + "\n]}\n"
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


@cache
def tunes() -> dict[str, Tune]:
    """Every tune by slug, from the committed table (read once, in file order)."""
    return load(TUNES_FILE)


def load(path: Path) -> dict[str, Tune]:
    rows = json.loads(gzip.decompress(path.read_bytes()))["tunes"]
    return {
        slug: Tune(slug, title, composer, parse_key(key), beats, tuple(styles.split()), source, chart)
        for slug, title, composer, key, beats, styles, source, chart in rows
    }
