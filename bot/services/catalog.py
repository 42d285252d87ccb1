"""What the bot can play, for both help texts (Discord's ``/help`` card and the console's ``/help``):
the styles and lead instruments the arranger has, the progression library's tunes and the soloists
and eras a clip can be played like; also the ``like`` suggestions and how a clip's caption names them."""

from __future__ import annotations

from collections.abc import Sequence

from model.arrange import LEAD_INSTRUMENTS, STYLES
from model.compose import ERA_LABELS
from model.conditioning import ERAS
from model.progressions import library
from model.soloists import instrument_of

TUNES_NAMED = 6
ERA_CHOICES = tuple(ERA_LABELS.get(era, era) for era in ERAS)  # "hard bop", not "hardbop"
FAMOUS = ("Charlie Parker", "John Coltrane", "Chet Baker", "Miles Davis", "Sonny Rollins")
"""Soloists named in /help and offered first while nothing is typed in ``like``."""


def catalog() -> list[tuple[str, str]]:
    """(heading, text) for styles, lead instruments, tunes (the first few by title, then "…") and
    the soloists and eras ``like`` takes."""
    tunes = sorted(progression.title for progression in library().values())
    return [
        ("Styles", ", ".join(STYLES)),
        ("Lead instruments", ", ".join(LEAD_INSTRUMENTS)),
        (f"Progressions ({len(tunes)} tunes)", f"{', '.join(tunes[:TUNES_NAMED])}, …"),
        ("Play like", f"{', '.join(FAMOUS)}, … or an era: {', '.join(ERA_CHOICES)}"),
    ]


def like_suggestions(soloists: Sequence[str], typed: str, limit: int = 25) -> list[str]:
    """Eras and soloists for ``like`` autocomplete: names starting with what was typed (or with a word
    that does: "park" finds Charlie Parker), then names containing it; with nothing typed, the eras
    and a few famous soloists."""
    names = list(dict.fromkeys([*ERA_CHOICES, *soloists]))
    wanted = " ".join(typed.lower().split())
    if not wanted:
        return [*ERA_CHOICES, *(name for name in FAMOUS if name in soloists)][:limit]
    starting = [n for n in names if any(word.startswith(wanted) for word in [n.lower(), *n.lower().split()])]
    containing = [n for n in names if wanted in n.lower() and n not in starting]
    return (starting + containing)[:limit]


def like_label(name: str) -> str:
    """How an autocomplete suggestion reads: a soloist with the instrument he is heard on ("Miles Davis
    · trumpet"), an era as it is."""
    instrument = instrument_of(name)
    return name if instrument is None else f"{name} · {instrument}"


def meter_caption(beats_per_bar: int) -> str:
    """What a clip's caption adds for its meter: " in 3/4" for a waltz, nothing for 4/4 (the default)."""
    return f" in {beats_per_bar}/4" if beats_per_bar != 4 else ""


def like_caption(description: str) -> str | None:
    """How a clip names what it was played like, from ``Piece.extra["like"]``: "in the style of
    Charlie Parker", "like bebop", or "like swing (Ben Webster has too little material: ...)";
    None when nobody in particular was asked for."""
    if not description:
        return None
    if description in ERA_CHOICES or " (" in description:
        return f"like {description}"
    return f"in the style of {description}"
