"""The progression library: classic jazz changes plus the shared standards' own changes.

The library ships as ``model/data/progressions.json`` so a clone without ``../shared`` still has
every progression. ``python -m model.progressions --build`` regenerates it (sorted, stable) from
the classics below and the shared lead sheets; ``python -m model.progressions`` lists it.

A progression is a tuple of bars, each bar a tuple of (chord, beats) summing to the meter's beats
(4, or 3 for the waltzes of the tune library, :mod:`model.tunes`). Charts are written as
``| Dm7 G7 | Cmaj7 | % |``: chords in a bar share its four beats (two chords 2+2, three 2+1+1, four
1 each; in 3/4 two chords 2+1, three 1 each; ``Chord:3`` gives a chord explicit beats) and ``%``
repeats a bar. :func:`chords_for` ends every piece on the tonic (:mod:`model.endings`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from model.endings import Bar, end_on_tonic, tonic_chord
from model.errors import InputError
from model.paths import PROGRESSIONS_FILE, shared_data_dir
from model.piece import BEATS_PER_BAR, TICKS_PER_BAR, TICKS_PER_QUARTER, Chord
from model.theory import ChordSymbol, Key, TheoryError, parse_chord, parse_key

MAX_CHART_BARS = 256
PHRASE_BARS = 8


class ProgressionError(InputError):
    """An unknown progression name or a chart jazzbot cannot read."""


@dataclass(frozen=True, slots=True)
class Progression:
    slug: str
    title: str
    key: Key
    bars: tuple[Bar, ...]
    source: str
    composer: str = ""
    beats_per_bar: int = BEATS_PER_BAR

    def chart(self) -> str:
        """The chart as text in the progression's own key, beats shown where a bar is split unevenly."""
        return "| " + " | ".join(bar_text(bar, self.key) for bar in self.bars) + " |"


# slug, title, key, source, chart (written in the key given)
CLASSICS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "blues",
        "12-bar blues",
        "F",
        "classic",
        "| F7 | Bb7 | F7 | % | Bb7 | % | F7 | % | C7 | Bb7 | F7 | C7 |",
    ),
    (
        "jazz-blues",
        "Jazz blues",
        "F",
        "classic",
        "| F7 | Bb7 | F7 | Cm7 F7 | Bb7 | Bdim7 | F7 | Am7b5 D7b9 | Gm7 | C7 | F7 D7 | Gm7 C7 |",
    ),
    (
        "minor-blues",
        "Minor blues",
        "Cm",
        "classic",
        "| Cm7 | Fm7 | Cm7 | % | Fm7 | % | Cm7 | % | Ab7 | G7alt | Cm7 | Dm7b5 G7alt |",
    ),
    (
        "rhythm-a",
        "Rhythm changes, A section",
        "Bb",
        "classic",
        "| Bb6 G7 | Cm7 F7 | Bb6 G7 | Cm7 F7 | Bb7 | Eb7 Edim7 | Bb6 G7 | Cm7 F7 |",
    ),
    (
        "rhythm-changes",
        "Rhythm changes (AABA)",
        "Bb",
        "classic",
        "| Bb6 G7 | Cm7 F7 | Bb6 G7 | Cm7 F7 | Bb7 | Eb7 Edim7 | Bb6 G7 | Cm7 F7 |"
        " Bb6 G7 | Cm7 F7 | Bb6 G7 | Cm7 F7 | Bb7 | Eb7 Edim7 | Cm7 F7 | Bb6 |"
        " D7 | % | G7 | % | C7 | % | F7 | % |"
        " Bb6 G7 | Cm7 F7 | Bb6 G7 | Cm7 F7 | Bb7 | Eb7 Edim7 | Cm7 F7 | Bb6 |",
    ),
    (
        "ii-v-i",
        "ii-V-I cycle (down in whole steps)",
        "C",
        "classic",
        "| Dm7 | G7 | Cmaj7 | % | Cm7 | F7 | Bbmaj7 | % | Bbm7 | Eb7 | Abmaj7 | % |"
        " Abm7 | Db7 | Gbmaj7 | % | F#m7 | B7 | Emaj7 | % | Em7 | A7 | Dmaj7 | % |",
    ),
    (
        "minor-ii-v-i",
        "Minor ii-V-i cycle (down in whole steps)",
        "Cm",
        "classic",
        "| Dm7b5 | G7b9 | Cm6 | % | Cm7b5 | F7b9 | Bbm6 | % | Bbm7b5 | Eb7b9 | Abm6 | % |"
        " Abm7b5 | Db7b9 | Gbm6 | % |",
    ),
    (
        "autumn",
        "Autumn-style cycle of fourths",
        "Gm",
        "classic",
        "| Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7b9 | Gm6 | % |"
        " Am7b5 | D7b9 | Gm6 | % | Cm7 | F7 | Bbmaj7 | Ebmaj7 |"
        " Am7b5 | D7b9 | Gm7 Gb7 | Fm7 E7 | Ebmaj7 | D7b9 | Gm6 | % |",
    ),
    (
        "coltrane-changes",
        "Coltrane changes (Countdown-style)",
        "C",
        "classic",
        "| Dm7 Eb7 | Abmaj7 B7 | Emaj7 G7 | Cmaj7 | Cm7 Db7 | Gbmaj7 A7 | Dmaj7 F7 | Bbmaj7 |"
        " Bbm7 B7 | Emaj7 G7 | Cmaj7 Eb7 | Abmaj7 | Dm7 | G7 | Cmaj7 | % |",
    ),
    (
        "bossa",
        "Minor bossa nova",
        "Cm",
        "classic",
        "| Cm7 | % | Fm7 | % | Dm7b5 | G7b9 | Cm7 | % |"
        " Ebm7 | Ab7 | Dbmaj7 | % | Dm7b5 | G7b9 | Cm7 | Dm7b5 G7b9 |",
    ),
    (
        "ballad",
        "Ballad (I-vi-ii-V with a IV turn)",
        "Eb",
        "classic",
        "| Ebmaj7 Cm7 | Fm7 Bb7 | Gm7 C7 | Fm7 Bb7 | Ebmaj7 Eb7 | Abmaj7 Db7 | Gm7 C7 | Fm7 Bb7 |",
    ),
    (
        "modal",
        "Modal vamp (So What-style)",
        "Dm",
        "classic",
        "| Dm7 | % | % | % | % | % | % | % | Ebm7 | % | % | % | Dm7 | % | % | % |",
    ),
)

# Titles for the shared lead sheets whose files carry no or a stale title.
STANDARD_TITLES = {
    "A_Foggy_Day": "A Foggy Day",
    "All_The_Things_You_Are": "All the Things You Are",
    "Billies_Bounce": "Billie's Bounce",
    "Black_Orpheus": "Black Orpheus",
    "Blue_Bossa": "Blue Bossa",
    "Blue_Monk": "Blue Monk",
    "Cheese_Cake": "Cheese Cake",
    "Confirmation": "Confirmation",
    "Donna_Lee": "Donna Lee",
    "Fly_me_to_the_moon": "Fly Me to the Moon",
    "Four_Brothers": "Four Brothers",
    "Giant_Steps": "Giant Steps",
    "How_high": "How High the Moon",
    "I_Got_Rhythm": "I Got Rhythm",
    "It_dont_mean_a_thing": "It Don't Mean a Thing",
    "Over_The_Rainbow_with_chords": "Over the Rainbow",
    "Song_for_My_Father_-_Horace_Silver": "Song for My Father",
    "There_Will_Never_Be_Another_You": "There Will Never Be Another You",
    "Well_You_Neednt": "Well, You Needn't",
    "chega": "Chega de Saudade",
    "greendol": "On Green Dolphin Street",
    "just_friends": "Just Friends",
    "moose": "Moose the Mooche",
    "my_love": "My Love",
    "recordame": "Recordame",
    "summertime": "Summertime",
    "things_you_see": "Things You See",
}


def slugify(title: str) -> str:
    """``"Well, You Needn't"`` -> ``"well-you-neednt"``."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "")).strip("-")


# ---- charts -----------------------------------------------------------------------------------

EVEN_SPLITS: dict[int, dict[int, tuple[int, ...]]] = {
    4: {1: (4,), 2: (2, 2), 3: (2, 1, 1), 4: (1, 1, 1, 1)},
    3: {1: (3,), 2: (2, 1), 3: (1, 1, 1)},
}
"""How a bar's beats are shared when a chart gives no ``:beats``, per meter (beats per bar)."""


def parse_chart(
    text: str,
    key: Key | None = None,
    slug: str = "chart",
    title: str = "Chart",
    beats_per_bar: int = BEATS_PER_BAR,
) -> Progression:
    """A chart such as ``"| Dm7 G7 | Cmaj7 | % |"`` as a :class:`Progression`.

    The key is ``key`` when given, else guessed from the last chord (a tonic-like major or minor
    chord names its key) or failing that from the first. ``beats_per_bar`` is 4 or 3.
    """
    cells = [cell.strip() for cell in text.strip().strip("|").split("|")]
    if not text.strip() or not any(cells):
        raise ProgressionError("a chart needs at least one bar, like '| Dm7 G7 | Cmaj7 |'.")
    if len(cells) > MAX_CHART_BARS:
        raise ProgressionError(f"a chart can have at most {MAX_CHART_BARS} bars, not {len(cells)}.")
    bars: list[Bar] = []
    for number, cell in enumerate(cells, start=1):
        if cell in ("%", ""):
            if not bars:
                raise ProgressionError(
                    f"bar {number} repeats a bar ('%' or empty) but no bar comes before it."
                )
            bars.append(bars[-1])
            continue
        bars.append(_parse_bar(cell, number, beats_per_bar))
    return Progression(slug, title, key or guess_key(bars), tuple(bars), "chart", beats_per_bar=beats_per_bar)


def _parse_bar(cell: str, number: int, beats_per_bar: int) -> Bar:
    words = cell.split()
    explicit = [w.rpartition(":")[2] for w in words if ":" in w]
    if explicit and len(explicit) != len(words):
        raise ProgressionError(f"bar {number} '{cell}': give beats for every chord (Dm7:3 G7:1) or for none.")
    if explicit:
        if not all(b.isdigit() and int(b) > 0 for b in explicit):
            raise ProgressionError(f"bar {number} '{cell}': beats must be whole numbers like Dm7:3.")
        beats = tuple(int(b) for b in explicit)
        names = [w.rpartition(":")[0] for w in words]
    elif len(words) in EVEN_SPLITS[beats_per_bar]:
        beats, names = EVEN_SPLITS[beats_per_bar][len(words)], words
    else:
        raise ProgressionError(
            f"bar {number} '{cell}' has {len(words)} chords; a {beats_per_bar}/4 bar holds 1 to "
            f"{max(EVEN_SPLITS[beats_per_bar])}."
        )
    if sum(beats) != beats_per_bar:
        raise ProgressionError(
            f"bar {number} '{cell}' has {sum(beats)} beats; {beats_per_bar}/4 bars have {beats_per_bar}."
        )
    try:
        return tuple((parse_chord(name), b) for name, b in zip(names, beats, strict=True))
    except TheoryError as error:
        raise ProgressionError(f"bar {number}: {error}") from error


_TONIC_QUALITIES = {
    "": False,
    "6": False,
    "maj7": False,
    "maj9": False,
    "m": True,
    "m6": True,
    "m7": True,
    "mmaj7": True,
}


def guess_key(bars: Sequence[Bar]) -> Key:
    """The last chord when it is tonic-like, else the last major-seventh or sixth chord, else the
    first chord's root (minor when that chord is minor)."""
    chords = [chord for bar in bars for chord, _ in bar]
    if chords[-1].quality in _TONIC_QUALITIES:
        return Key(chords[-1].root, _TONIC_QUALITIES[chords[-1].quality])
    major = [c for c in chords if c.quality in ("6", "maj7", "maj9")]
    if major:
        return Key(major[-1].root)
    return Key(chords[0].root, chords[0].quality.startswith("m") and not chords[0].quality.startswith("maj"))


def bar_text(bar: Bar, key: Key) -> str:
    """One bar as chart text, ``Chord:beats`` only where the bar is not split the default way."""
    beats = sum(b for _, b in bar)
    if tuple(b for _, b in bar) == EVEN_SPLITS.get(beats, {}).get(len(bar)):
        return " ".join(chord.name(key) for chord, _ in bar)
    return " ".join(f"{chord.name(key)}:{beats}" for chord, beats in bar)


# ---- the library ------------------------------------------------------------------------------


@cache
def library() -> dict[str, Progression]:
    """Every progression by slug, from the committed JSON (read once)."""
    return load_library(PROGRESSIONS_FILE)


def load_library(path: Path) -> dict[str, Progression]:
    payload = json.loads(path.read_text())
    return {
        item["slug"]: _with_source(
            parse_chart(
                "|" + "|".join(item["bars"]) + "|", parse_key(item["key"]), item["slug"], item["title"]
            ),
            item["source"],
        )
        for item in payload["progressions"]
    }


def _with_source(progression: Progression, source: str) -> Progression:
    return replace(progression, source=source)


def get_progression(name: str) -> Progression:
    """A progression by slug, title, unique slug prefix or a close spelling; else a ProgressionError
    listing the nearest names."""
    progressions = library()
    wanted = slugify(name)
    by_title = {slugify(p.title): slug for slug, p in progressions.items()}
    if wanted in progressions:
        return progressions[wanted]
    if wanted in by_title:
        return progressions[by_title[wanted]]
    prefixed = [slug for slug in progressions if wanted and slug.startswith(wanted)]
    if len(prefixed) == 1:
        return progressions[prefixed[0]]
    close = difflib.get_close_matches(wanted, list(progressions), n=1, cutoff=0.85)
    if close:
        return progressions[close[0]]
    suggestions = prefixed or difflib.get_close_matches(
        wanted, list(progressions) + list(by_title), n=5, cutoff=0.5
    )
    names = sorted({by_title.get(s, s) for s in suggestions})
    hint = (
        f"did you mean {', '.join(names)}?"
        if names
        else f"try one of: {', '.join(sorted(progressions)[:12])}, ..."
    )
    raise ProgressionError(f"no progression called '{name}'; {hint}")


def in_meter(progression: Progression, beats: int) -> Progression:
    """``progression`` played in ``beats`` beats a bar: each bar one bar of the new meter, every chord
    moved to the nearest beat (halves up). A 3/4 tune played in 4 keeps every chord; a 4/4 tune played
    as a waltz loses a chord that lands on a beat another already takes (the later one stays: it
    leads into the next bar)."""
    old = progression.beats_per_bar
    bars = []
    for bar in progression.bars:
        starts, begin = [], 0
        for _, length in bar:
            starts.append((begin * beats * 2 + old) // (old * 2))
            begin += length
        ends = [*starts[1:], beats]
        bars.append(
            tuple(
                (chord, end - start)
                for (chord, _), start, end in zip(bar, starts, ends, strict=True)
                if end > start
            )
        )
    return replace(progression, bars=tuple(bars), beats_per_bar=beats)


def chords_for(progression: Progression, key: Key, bars: int, ending: bool = True) -> tuple[Chord, ...]:
    """The progression's chords moved to ``key`` (tonic to tonic), cycled or cut to exactly ``bars``
    bars, spelled for ``key``; one :class:`Chord` per chord per bar. With ``ending`` (the default)
    the last bar is the tonic, approached by a cadence when the bars cut the form
    (:func:`model.endings.end_on_tonic`)."""
    if bars < 1:
        raise ProgressionError(f"a piece needs at least one bar, not {bars}.")
    shift = (key.tonic - progression.key.tonic) % 12
    meter = progression.beats_per_bar
    cycled = [progression.bars[index % len(progression.bars)] for index in range(bars)]
    if ending:
        tonic = tonic_chord(progression.bars, progression.key)
        cycled = end_on_tonic(cycled, progression.key, tonic, meter)
    chords = []
    for index, bar in enumerate(cycled):
        beat = 0
        for symbol, beats in bar:
            moved = symbol.transpose(shift)
            start = (index * meter + beat) * TICKS_PER_QUARTER
            chords.append(Chord(moved, start, beats * TICKS_PER_QUARTER, moved.name(key)))
            beat += beats
    return tuple(chords)


def chorus_bars(progression: Progression) -> int:
    """Bars in one chorus (the chart's whole form, written out)."""
    return len(progression.bars)


def whole_choruses(progression: Progression, bars: int, max_bars: int) -> int:
    """``bars`` rounded to the nearest whole number of choruses, at least one and at most what fits
    in ``max_bars``. A chorus longer than ``max_bars`` cannot be played whole: then ``bars``
    rounded to whole 8-bar phrases the same way (the ending cadence closes the last one)."""
    chorus = chorus_bars(progression)
    if chorus > max_bars:
        if max_bars < PHRASE_BARS:
            return max_bars
        return PHRASE_BARS * min(max(1, round(bars / PHRASE_BARS)), max_bars // PHRASE_BARS)
    return chorus * min(max(1, round(bars / chorus)), max_bars // chorus)


# ---- building the JSON ------------------------------------------------------------------------


def build(standards_dir: Path | None = None) -> list[Progression]:
    """The classics plus every readable lead sheet in ``standards_dir`` (default: the shared standards)."""
    from model.corpus import read_lead_sheet

    progressions = [
        _with_source(parse_chart(chart, parse_key(key), slug, title), source)
        for slug, title, key, source, chart in CLASSICS
    ]
    folder = standards_dir or shared_data_dir() / "standards"
    for path in sorted(folder.glob("*.xml")):
        sheet = read_lead_sheet(path)
        bars = [bar for span in sheet.spans for bar in _bars_of(span.chords, span.bars)]
        if not bars:
            continue
        title = STANDARD_TITLES.get(path.stem, sheet.title)
        progressions.append(
            Progression(slugify(title), title, sheet.key, tuple(bars), f"standards/{path.name}")
        )
    slugs = [p.slug for p in progressions]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    if duplicates:
        raise ProgressionError(f"two progressions share the slug(s) {', '.join(sorted(duplicates))}")
    return sorted(progressions, key=lambda p: p.slug)


def _bars_of(chords: Sequence[Chord], count: int) -> list[Bar]:
    """Per bar, the chords sounding in it with starts rounded to the nearest beat (anticipations
    move to the beat; a chord shorter than half a beat disappears)."""
    bars = []
    for index in range(count):
        start, end = index * TICKS_PER_BAR, (index + 1) * TICKS_PER_BAR
        onsets: dict[int, ChordSymbol] = {}
        for chord in chords:
            if chord.end <= start or chord.start >= end:
                continue
            beat = (
                0
                if chord.start <= start
                else (chord.start - start + TICKS_PER_QUARTER // 2) // TICKS_PER_QUARTER
            )
            if beat < BEATS_PER_BAR:
                onsets[beat] = chord.symbol
        beats = sorted(onsets)
        bars.append(
            tuple(
                (onsets[b], (beats[i + 1] if i + 1 < len(beats) else BEATS_PER_BAR) - b)
                for i, b in enumerate(beats)
            )
        )
    return bars


def chart_of(chords: Sequence[Chord], bars: int) -> str:
    """``bars`` 4/4 bars of ``chords`` (ticks from bar 0, e.g. a WJazzD chunk's) as chart text in
    their own key (:func:`guess_key`), each chord on its nearest beat (see :func:`_bars_of`); a bar or
    beats with no chord hold the one before, and a first chord after the downbeat starts on it.
    :func:`parse_chart` reads it back to the same chords."""
    cells = _chart_bars(chords, bars)
    key = guess_key(cells)
    return "| " + " | ".join(bar_text(bar, key) for bar in cells) + " |"


def key_of(chords: Sequence[Chord], bars: int) -> Key:
    """The key :func:`chart_of` writes ``bars`` 4/4 bars of ``chords`` in (:func:`guess_key`)."""
    return guess_key(_chart_bars(chords, bars))


def _chart_bars(chords: Sequence[Chord], bars: int) -> list[Bar]:
    """:func:`chart_of`'s bars: each bar's chords on their nearest beats, gaps held (see there)."""
    cells: list[Bar] = []
    for cell in _bars_of(chords, bars):
        gap = BEATS_PER_BAR - sum(beats for _, beats in cell)
        if gap and cells:
            cell = ((cells[-1][-1][0], gap), *cell)
        elif gap and cell:
            cell = ((cell[0][0], cell[0][1] + gap), *cell[1:])
        if not cell:
            raise ProgressionError("a chart needs a chord in its first bar.")
        cells.append(cell)
    return cells


def to_json(progressions: Sequence[Progression]) -> str:
    items: list[dict[str, Any]] = [
        {
            "slug": p.slug,
            "title": p.title,
            "key": p.key.name,
            "source": p.source,
            "bars": [" ".join(f"{c.name(p.key)}:{b}" for c, b in bar) for bar in p.bars],
        }
        for p in progressions
    ]
    return json.dumps({"progressions": items}, indent=1, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.progressions", description="List or rebuild the library."
    )
    parser.add_argument(
        "--build", action="store_true", help=f"regenerate {PROGRESSIONS_FILE.name} from shared data"
    )
    parser.add_argument(
        "--standards", type=Path, help="folder of MusicXML lead sheets (default: shared standards)"
    )
    args = parser.parse_args(argv)
    if args.build:
        folder = args.standards or shared_data_dir() / "standards"
        if not folder.is_dir():
            print(f"error: {folder} not found; --build needs the shared standards (or --standards DIR).")
            return 2
        try:
            progressions = build(folder)
        except InputError as error:
            print(f"error: {error}")
            return 2
        PROGRESSIONS_FILE.parent.mkdir(parents=True, exist_ok=True)
        PROGRESSIONS_FILE.write_text(to_json(progressions))
        library.cache_clear()
        print(f"wrote {len(progressions)} progressions to {PROGRESSIONS_FILE}")
        return 0
    for slug, progression in sorted(library().items()):
        print(f"{slug:34} {progression.key.name:4} {len(progression.bars):3} bars  {progression.title}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
