"""Style tags for picking a tune that fits the band's style (a ballad plays a ballad-friendly tune).

The corpus says nothing about tempo or groove, so the tags are derived, by this rule (in order):

* ``waltz``: 3 beats a bar.
* ``latin``: a Latin word in the title (bossa, samba, mambo, rumba, calypso, tango, bolero, ...) or
  a Brazilian / Latin composer (Jobim, Bonfá, Donato, Gilberto, Menescal, Valle, Lins, Pozo,
  Puente, Santamaría, Tjader, ...).
* ``blues``: "blues" in the title, or the 12-bar blues form (I in bar 1, IV in bar 5, I in bar 11).
* ``rhythm-changes``: a 32-bar major tune opening on I with two chords in bar 2, whose bridge
  (bars 17-24) runs III7 VI7 II7 V7, two bars each (a ii-V in place of a dominant counts).
* ``up-tempo``: rhythm changes, a bebop composer (Parker, Gillespie, Powell, Stitt, Navarro, ...),
  or a fast word in the title (bop, bounce, jump, flight, ...).
* ``ballad``: none of the above (and 4 beats a bar), and a ballad word in the title (love, night,
  moon, dream, lonely, ...), or a ballad composer (Strayhorn, Carmichael, Van Heusen, Mandel,
  Legrand, ...), or a harmonic rhythm of at least :data:`BALLAD_CHANGES_PER_BAR` chord changes a
  bar (the busy changes of a songbook ballad, which only breathe at a slow tempo).
* ``medium``: none of waltz, latin, up-tempo, ballad: a medium swing.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from model.endings import DOMINANT_QUALITIES, Bar
from model.theory import Key

STYLE_TAGS = ("waltz", "latin", "blues", "rhythm-changes", "up-tempo", "ballad", "medium")
BALLAD_CHANGES_PER_BAR = 1.6

_LATIN_TITLE = re.compile(
    r"\b(bossa|samba\w*|mambo|rh?umba|calypso|tango|bolero|nova|latin[oa]?|cha cha|conga|cubano|guajira"
    r"|montuno|salsa|brazil\w*|bahia|baia|carioca|saudade|choro|manteca|afro\w*|ipanema|corcovado)\b"
)
_LATIN_COMPOSER = re.compile(
    r"\b(jobim|bonfa|donato|gilberto|menescal|valle|ivan lins|nascimento|pascoal|luiz eca|pozo|puente"
    r"|santamaria|tjader|farres|lecuona|mendes|barroso|caymmi|baden powell|gismonti|djavan|horta"
    r"|edu lobo|buarque|santana|jorge ben)\b"
)
_BEBOP_COMPOSER = re.compile(
    r"\b(charlie parker|dizzy gillespie|bud powell|sonny stitt|fats navarro|howard mcghee|lennie tristano"
    r"|lee konitz|j ?j johnson|kenny clarke|denzil best|tadd dameron|clifford brown|john coltrane)\b"
)
_FAST_TITLE = re.compile(r"\b(bop|bebop|bounce|jump\w*|flight|hurry|express|rush|speed|boogie|hop)\b")
_BALLAD_TITLE = re.compile(
    r"\b(love|lover?s|night|moon\w*|dream\w*|lonely|alone|lonesome|tears?|cry|sad|lullaby|ballad"
    r"|tender\w*|darling|kiss|memor\w*|remember|goodbye|forget|melancholy|prelude|nocturne|serenade"
    r"|stars?|starlight|sentimental|valentine|angel|soul|heart\w*|rain\w*|sorrow)\b"
)
_BALLAD_COMPOSER = re.compile(
    r"\b(billy strayhorn|hoagy carmichael|jimmy van heusen|johnny mandel|michel legrand|henry mancini"
    r"|victor young|vernon duke|alec wilder|johnny green|burt bacharach)\b"
)
MAJOR_THIRD, MAJOR_SIXTH, MAJOR_SECOND, FIFTH, FOURTH = 4, 9, 2, 7, 5


def plain(text: str) -> str:
    """Lower case, accents and punctuation gone: ``"Bonfá, Luiz"`` -> ``"bonfa luiz"``."""
    folded = unicodedata.normalize("NFKD", text.replace("&", " and ")).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", re.sub(r"['’]", "", folded.lower())).split())


def style_tags(
    title: str, composer: str, key: Key, beats_per_bar: int, bars: Sequence[Bar]
) -> tuple[str, ...]:
    """The tags of one tune, in :data:`STYLE_TAGS` order (see the module docstring)."""
    name, by = plain(title), plain(composer)
    tags = set()
    if beats_per_bar == 3:
        tags.add("waltz")
    if _LATIN_TITLE.search(name) or _LATIN_COMPOSER.search(by):
        tags.add("latin")
    if re.search(r"\bblues\b", name) or _is_blues(key, bars):
        tags.add("blues")
    if _is_rhythm_changes(key, bars):
        tags.update(("rhythm-changes", "up-tempo"))
    if _BEBOP_COMPOSER.search(by) or _FAST_TITLE.search(name):
        tags.add("up-tempo")
    if (
        not tags
        and beats_per_bar == 4
        and (
            _BALLAD_TITLE.search(name) or _BALLAD_COMPOSER.search(by) or _busy(bars) >= BALLAD_CHANGES_PER_BAR
        )
    ):
        tags.add("ballad")
    if not tags & {"waltz", "latin", "up-tempo", "ballad"}:
        tags.add("medium")
    return tuple(tag for tag in STYLE_TAGS if tag in tags)


def _root(bars: Sequence[Bar], index: int, key: Key) -> int:
    """The first chord's root in bar ``index``, as semitones above the tonic."""
    return (bars[index][0][0].root - key.tonic) % 12


def _is_blues(key: Key, bars: Sequence[Bar]) -> bool:
    return len(bars) == 12 and [_root(bars, i, key) for i in (0, 4, 10)] == [0, FOURTH, 0]


def _is_rhythm_changes(key: Key, bars: Sequence[Bar]) -> bool:
    """32 bars, major, opening on I with two chords in bar 2 (the A section's I-vi-ii-V), and each
    two-bar pair of the bridge holding a dominant on III, VI, II, V."""
    if len(bars) != 32 or key.minor or _root(bars, 0, key) != 0 or len(bars[1]) < 2:
        return False
    for first, degree in zip((16, 18, 20, 22), (MAJOR_THIRD, MAJOR_SIXTH, MAJOR_SECOND, FIFTH), strict=True):
        pair = [chord for bar in bars[first : first + 2] for chord, _ in bar]
        if not any(c.quality in DOMINANT_QUALITIES and (c.root - key.tonic) % 12 == degree for c in pair):
            return False
    return True


def _busy(bars: Sequence[Bar]) -> float:
    """Chord changes per bar (a chord held over the bar line is not a change)."""
    chords = [chord for bar in bars for chord, _ in bar]
    changes = 1 + sum(a != b for a, b in itertools.pairwise(chords))
    return changes / len(bars)
