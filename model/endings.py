"""How a piece ends: on the tonic, approached by a cadence, wherever the requested bars cut the form.

A chart cycled to the bars a user asked for usually stops mid-phrase (16 bars of a 32-bar tune) or
on its turnaround (the blues' last bar is the V7 that leads back to the top). :func:`end_on_tonic`
rewrites at most the last two bars so that every piece lands:

* the last bar already starts on the tonic chord (the chart resolves there): that chord is held
  for the whole bar, nothing else changes;
* otherwise the last bar becomes the tune's tonic chord held for the whole bar. The bar before
  stays when it already ends on a cadential chord (V7 in any colour, its tritone substitute bII7,
  the leading-tone diminished chord, a chord over the fifth) or holds only the tonic (the chart
  resolved a bar early, so the last bar just holds it); else it becomes the chart's own last bar
  when that one ends on a cadential chord (Solar's ``Dm7b5 G7alt`` turnaround, a bar early), else
  ii-V (major: ``ii7 V7``; minor: ``iiø V7b9``);
* a one-bar piece that does not start on the tonic becomes ``V I`` inside that bar.

The tonic chord is the tune's own: the tonic-quality chord on the key's root that the chart holds
longest (``Gm6`` in Autumn Leaves, ``Cm6`` (written Cm69) in Solar); a chart with none but
dominant sevenths on its root (a blues) ends on that seventh chord; a chart with neither ends on a
plain 6 / m6 chord.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from model.theory import ChordSymbol, Key

Bar = tuple[tuple[ChordSymbol, int], ...]

MAJOR_TONIC_QUALITIES = frozenset({"", "6", "maj7", "maj9", "maj7#11"})
MINOR_TONIC_QUALITIES = frozenset({"m", "m6", "m7", "m9", "mmaj7"})
DOMINANT_QUALITIES = frozenset({"7", "9", "13", "7b9", "7#9", "7alt", "7#11", "7b13", "7#5", "7sus4"})
FIFTH, TRITONE_SUB, LEADING_TONE, SUPERTONIC = 7, 1, 11, 2
ENDING_BARS = 2
"""The ending rewrites at most this many bars: a longer piece with the same seed (the bot's Extend)
repeats a shorter one up to here and continues the form where the shorter one cadenced."""


def tonic_qualities(key: Key) -> frozenset[str]:
    return MINOR_TONIC_QUALITIES if key.minor else MAJOR_TONIC_QUALITIES


def tonic_chord(bars: Sequence[Bar], key: Key) -> ChordSymbol:
    """The chord this chart resolves to (see the module docstring), in the chart's own key."""
    held: Counter[ChordSymbol] = Counter()
    dominant: Counter[ChordSymbol] = Counter()
    for bar in bars:
        for chord, beats in bar:
            if chord.root != key.tonic or chord.bass not in (None, chord.root):
                continue
            plain = ChordSymbol(chord.root, chord.quality)
            if chord.quality in tonic_qualities(key):
                held[plain] += beats
            elif chord.quality in DOMINANT_QUALITIES and not key.minor:
                dominant[plain] += beats
    for counts in (held, dominant):
        if counts:
            # most beats wins; ties go to the chord met first
            return max(counts, key=lambda chord: counts[chord])
    return ChordSymbol(key.tonic, "m6" if key.minor else "6")


def is_tonic(chord: ChordSymbol, key: Key, tonic: ChordSymbol) -> bool:
    """``chord`` is a tonic chord of ``key``: on the key's root (no other bass) with a tonic quality
    of the mode, or the chart's own tonic quality (I7 in a blues)."""
    return (
        chord.root == key.tonic
        and chord.bass in (None, chord.root)
        and (chord.quality in tonic_qualities(key) or chord.quality == tonic.quality)
    )


def is_cadential(chord: ChordSymbol, key: Key) -> bool:
    """``chord`` leads to the tonic: V7 (any colour), its tritone substitute, vii°7, or any chord
    over the fifth in the bass (ii/V is a V11, I/V the cadential six-four)."""
    degree = (chord.root - key.tonic) % 12
    if chord.bass is not None and (chord.bass - key.tonic) % 12 == FIFTH:
        return True
    if chord.quality in DOMINANT_QUALITIES:
        return degree in (FIFTH, TRITONE_SUB)
    return degree == LEADING_TONE and chord.quality in ("dim", "dim7")


def cadence_bar(key: Key, beats: int) -> Bar:
    """ii-V into ``key`` filling one bar: ``Dm7 G7`` in C, ``Dm7b5 G7b9`` in C minor."""
    two = ChordSymbol((key.tonic + SUPERTONIC) % 12, "m7b5" if key.minor else "m7")
    five = ChordSymbol((key.tonic + FIFTH) % 12, "7b9" if key.minor else "7")
    return ((two, beats - beats // 2), (five, beats // 2))


def end_on_tonic(bars: Sequence[Bar], key: Key, tonic: ChordSymbol, beats: int) -> list[Bar]:
    """``bars`` (a chart already cycled or cut to the piece's length) with the ending rewritten."""
    ending = list(bars)
    if not ending:
        return ending
    first = ending[-1][0][0]
    if is_tonic(first, key, tonic):
        ending[-1] = ((first, beats),)
        return ending
    if len(ending) == 1:
        five = ChordSymbol((key.tonic + FIFTH) % 12, "7")
        ending[-1] = ((five, beats // 2), (tonic, beats - beats // 2))
        return ending
    last, before = ending[-1], ending[-2]
    ending[-1] = ((tonic, beats),)
    if is_cadential(before[-1][0], key) or all(is_tonic(chord, key, tonic) for chord, _ in before):
        return ending
    ending[-2] = last if is_cadential(last[-1][0], key) else cadence_bar(key, beats)
    return ending
