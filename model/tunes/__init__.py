"""The tune library: 2,600 standards by name, from the Jazz Chord Progressions Corpus.

The charts (Bunks, Dixon, Weyde, Di Giorgi, ISMIR 2023; derived from Impro-Visor's "Imaginary
Book") are read by :mod:`model.tunes.chart`, tagged by :mod:`model.tunes.styles` and shipped as the
committed table :mod:`model.tunes.table`. This module is what the composer and the bot call:

* :func:`resolve` turns a request ("autumn leaves", "blues", a chart) into the progression to play,
  the label the piece records (it resolves to the same progression again) and the key: the tune's
  own key unless one is asked;
* :func:`find_tune` / :func:`suggest` match titles (typos forgiven; suggest is for autocomplete);
* :func:`pick_tune` picks a tune that fits a style when none is asked;
* :func:`describe` names a piece's tune and composer for a caption.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from model.errors import InputError
from model.piece import BEATS_PER_BAR
from model.progressions import Progression, get_progression, in_meter, library, parse_chart, slugify
from model.theory import Key
from model.tunes.match import TitleIndex
from model.tunes.table import Tune, tunes

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Resolved", "Tune", "describe", "find_tune", "pick_tune", "resolve", "suggest", "tunes"]

STYLE_POOLS = {
    "ballad": ("ballad",),
    "bossa": ("latin",),
    "swing": ("medium", "up-tempo"),
    "waltz": ("waltz",),
}
"""Which tags a tune needs for :func:`pick_tune` to give it to a style (swing and bossa also need
four beats a bar, ballad tunes have them by their rule)."""


class TuneError(InputError):
    """An unknown tune or a style with no tunes; the message says what would work."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """What to play: the progression, the label the piece records, and the key to play it in."""

    progression: Progression
    label: str
    key: Key


@cache
def _tune_index() -> TitleIndex:
    return TitleIndex([tune.title for tune in tunes().values()])


@cache
def _by_title() -> dict[str, Tune]:
    return {tune.title: tune for tune in tunes().values()}


@cache
def _all_index() -> TitleIndex:
    """Library progressions first (they win a shared title; their slugs are aliases), then the tunes."""
    progressions = sorted(library().values(), key=lambda p: p.slug)
    return TitleIndex(
        [p.title for p in progressions] + list(_by_title()),
        [(p.slug.replace("-", " "), p.title) for p in progressions],
        preferred=len(progressions),
    )


@cache
def _library_names() -> dict[str, Progression]:
    """Library progressions by slug and by slugified title: these names resolve to the library."""
    return {slugify(p.title): p for p in library().values()} | library()


def find_tune(text: str) -> Tune:
    """The tune ``text`` names (slug or title, forgiving case, punctuation, "the", accents and
    typos); a :class:`TuneError` naming the three closest titles when none fits."""
    if text.strip().lower() in tunes():
        return tunes()[text.strip().lower()]
    title = _tune_index().find(text)
    if title is None:
        closest = _tune_index().closest(text)
        raise TuneError(f"no tune called '{text.strip()}'; the closest titles are {', '.join(closest)}.")
    return _by_title()[title]


def suggest(prefix: str, limit: int = 25) -> list[str]:
    """Titles for Discord autocomplete (library progressions and tunes), best first. Each resolves
    back with :func:`resolve`."""
    return _all_index().suggest(prefix, limit)


def resolve(
    text: str, key: Key | None = None, meters: tuple[int, ...] = (4,), chart_beats: int = BEATS_PER_BAR
) -> Resolved:
    """The progression ``text`` asks for: a chart (``"| Dm7 G7 | Cmaj7 |"``), a library progression
    by slug or title, else a tune by title (typos forgiven), else a library progression by a close
    spelling. The key is ``key`` when given (its tonic, the progression's mode: "C" over a minor
    tune is Cm), else the progression's own. A tune in a meter the caller cannot play (not in
    ``meters``) is played in 4 (each 3/4 bar one 4/4 bar, chords on the nearest beat). A chart is
    read in ``chart_beats`` beats a bar."""
    if not text.strip():
        raise TuneError(
            "name a tune like 'autumn leaves' or 'blues', or give a chart like '| Dm7 G7 | Cmaj7 |'."
        )
    if "|" in text:
        progression, label = parse_chart(text, beats_per_bar=chart_beats), " ".join(text.split())
    else:
        progression, label = _named(text)
    if progression.beats_per_bar not in meters:
        progression = in_meter(progression, BEATS_PER_BAR)
    tonic = key.tonic if key is not None else progression.key.tonic
    return Resolved(progression, label, Key(tonic, progression.key.minor))


def _named(text: str) -> tuple[Progression, str]:
    titled = _library_names()
    if slugify(text) in titled:
        return titled[slugify(text)], titled[slugify(text)].slug
    try:
        tune = find_tune(text)
    except TuneError:
        try:
            progression = get_progression(text)
        except InputError:
            closest = ", ".join(_tune_index().closest(text))
            raise TuneError(
                f"no progression or tune called '{text.strip()}'; the closest titles are {closest}."
            ) from None
        return progression, progression.slug
    if tune.slug in titled:  # "giant step" finds the tune; the library's own Giant Steps wins its name
        return titled[tune.slug], titled[tune.slug].slug
    return tune.progression, tune.slug


def pick_tune(style: str, rng: random.Random | np.random.Generator, minor: bool | None = None) -> Tune:
    """A tune that fits ``style`` (see :data:`STYLE_POOLS`), drawn with ``rng`` (the same seed
    picks the same tune); ``minor`` True or False keeps to tunes in that mode ("a ballad in Eb"
    should not come out in Eb minor)."""
    if style not in STYLE_POOLS:
        raise TuneError(f"no tunes for the style '{style}'; try {', '.join(STYLE_POOLS)}.")
    pool = _style_pool(style, minor)
    index = rng.randrange(len(pool)) if isinstance(rng, random.Random) else int(rng.integers(len(pool)))
    return pool[index]


@cache
def _style_pool(style: str, minor: bool | None = None) -> tuple[Tune, ...]:
    """The tunes :func:`pick_tune` draws from for ``style`` (a key of :data:`STYLE_POOLS`) and
    ``minor``, by slug: worked out once per pair (a pass over the whole library, ~3 ms)."""
    wanted = set(STYLE_POOLS[style])
    return tuple(
        tune
        for _, tune in sorted(tunes().items())
        if wanted & set(tune.styles)
        and (style == "waltz" or tune.beats_per_bar == 4)
        and (style != "swing" or "latin" not in tune.styles)
        and minor in (None, tune.key.minor)
        and tune.slug not in _library_names()  # its slug would play the library's chart instead
    )


def describe(label: str) -> str:
    """How a caption names the piece's progression: ``"Autumn Leaves (Joseph Kosma)"`` for a tune,
    the title for a library progression, the label itself for a chart."""
    if label in library():
        progression = library()[label]
        return progression.title
    if label in tunes():
        tune = tunes()[label]
        return f"{tune.title} ({tune.composer})" if tune.composer else tune.title
    return label
