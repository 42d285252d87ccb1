"""What the bot can play, for both help texts (Discord's ``/help`` card and the console's ``/help``):
the styles and lead instruments the arranger has and the progression library's tunes."""

from __future__ import annotations

from model.arrange import LEAD_INSTRUMENTS, STYLES
from model.progressions import library

TUNES_NAMED = 6


def catalog() -> list[tuple[str, str]]:
    """(heading, text) for styles, lead instruments and tunes (the first few by title, then "…")."""
    tunes = sorted(progression.title for progression in library().values())
    return [
        ("Styles", ", ".join(STYLES)),
        ("Lead instruments", ", ".join(LEAD_INSTRUMENTS)),
        (f"Progressions ({len(tunes)} tunes)", f"{', '.join(tunes[:TUNES_NAMED])}, …"),
    ]
