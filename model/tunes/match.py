"""Finding a title from what a user typed: forgiving case, punctuation, accents, a leading article
and typos, fast enough for Discord autocomplete on every keystroke.

Titles and queries are compared in a plain form (:func:`normalise`: lower case, no accents or
punctuation, no leading "the" / "a" / "an"); a title with a parenthesis is also found by the part
before it ("Nancy (with the Laughing Face" by "nancy"). :meth:`TitleIndex.find` takes, in order,
the exact title, the shortest title starting with the query, the shortest title with a word
starting with the query, then the closest spelling (difflib ratio >= :data:`TYPO_CUTOFF` against
the whole title or its start, among the titles sharing most letter pairs with the query).
:meth:`TitleIndex.suggest` lists titles starting with the query (preferred ones first), then
titles with a word starting with it, then titles containing it, and only when none of those match,
titles holding most of the query's letter pairs (a typo while typing).
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from model.tunes.styles import plain

TYPO_CUTOFF = 0.8
FUZZY_SHARE = 0.8  # share of the query's letter pairs a title must hold to be suggested for a typo
TYPO_CANDIDATES = 60
_ARTICLE = re.compile(r"^(the|a|an) (?=\S)")


def normalise(text: str) -> str:
    """``"The Girl From Ipanema"`` -> ``"girl from ipanema"``, ``"Só Danço"`` -> ``"so danco"``."""
    return _ARTICLE.sub("", plain(text))


def _pairs(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


class TitleIndex:
    """Display titles (unique) searchable by :meth:`find` and :meth:`suggest`; ``aliases`` maps
    other names to a title (a library slug: "blues" finds "12-bar blues"); the first ``preferred``
    titles come first among the titles starting with a prefix (the library before the tunes)."""

    def __init__(
        self, titles: Sequence[str], aliases: Sequence[tuple[str, str]] = (), preferred: int = 0
    ) -> None:
        self.titles = tuple(titles)
        self._preferred = preferred
        position_of = {title: position for position, title in enumerate(self.titles)}
        names = [(title, position) for position, title in enumerate(self.titles)]
        names += [(alias, position_of[title]) for alias, title in aliases]
        entries: dict[str, int] = {}
        for name, position in names:
            for key in (normalise(name), normalise(name.partition("(")[0])):
                if key:
                    entries.setdefault(key, position)  # the first title keeps a shared name
        self._keys = sorted(entries)
        self._positions = [entries[key] for key in self._keys]
        self._joined = "\n".join(self._keys)  # searched with str.find: C speed for autocomplete
        self._starts = list(itertools.accumulate((len(key) + 1 for key in self._keys[:-1]), initial=0))
        self._postings: dict[str, list[int]] = {}
        for index, key in enumerate(self._keys):
            for pair in sorted(_pairs(key)):
                self._postings.setdefault(pair, []).append(index)

    def find(self, text: str) -> str | None:
        """The title ``text`` means, or None."""
        query = normalise(text)
        if not query:
            return None
        start = bisect.bisect_left(self._keys, query)
        if start < len(self._keys) and self._keys[start] == query:
            return self._title(start)
        prefixed = self._prefixed(query, start)
        if prefixed:
            return self._title(min(prefixed, key=lambda i: (len(self._keys[i]), i)))
        worded = list(self._containing(" " + query))
        if worded:
            return self._title(min(worded, key=lambda i: (len(self._keys[i]), i)))
        best = self._typo_ranking(query, TYPO_CUTOFF, 1)
        return self._title(best[0]) if best else None

    def closest(self, text: str, count: int = 3) -> list[str]:
        """The ``count`` titles spelled most like ``text`` (for "did you mean ...?")."""
        found: list[str] = []
        for index in self._typo_ranking(normalise(text), 0.0, count * 2):
            if self._title(index) not in found and len(found) < count:
                found.append(self._title(index))
        return found

    def suggest(self, prefix: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` titles for a half-typed ``prefix`` (see the module docstring)."""
        query = normalise(prefix)
        if not query:
            return sorted(set(self.titles), key=str.casefold)[:limit]
        worded = " " + query
        prefixed = self._prefixed(query, bisect.bisect_left(self._keys, query))
        order = itertools.chain(  # lazily: a short prefix fills the list from the first part alone
            sorted(prefixed, key=lambda i: (self._positions[i] >= self._preferred, i)),
            self._containing(worded),
            self._containing(query),
        )
        found = self._first_titles(order, limit)
        if not found and len(query) > 2:
            found = self._first_titles(self._sharing(query, FUZZY_SHARE, limit), limit)
        return found

    def _containing(self, needle: str) -> Iterator[int]:
        """Indexes of the keys containing ``needle``, in key order."""
        at = self._joined.find(needle)
        while at >= 0:
            index = bisect.bisect_right(self._starts, at) - 1
            yield index
            at = self._joined.find(needle, self._starts[index] + len(self._keys[index]) + 1)

    def _first_titles(self, indexes: Iterable[int], limit: int) -> list[str]:
        found: list[str] = []
        for index in indexes:
            title = self._title(index)
            if title not in found:
                found.append(title)
                if len(found) == limit:
                    break
        return found

    def _title(self, index: int) -> str:
        return self.titles[self._positions[index]]

    def _prefixed(self, query: str, start: int) -> list[int]:
        end = bisect.bisect_left(self._keys, query + "\uffff", lo=start)
        return list(range(start, end))

    def _sharing(self, query: str, share: float, most: int) -> list[int]:
        """Up to ``most`` keys holding at least ``share`` of the query's letter pairs (and at least
        one), most sharing first, ties to the earlier key."""
        wanted = _pairs(query)
        counts: Counter[int] = Counter()
        for pair in wanted:
            counts.update(self._postings.get(pair, ()))
        needed = max(1, math.ceil(share * len(wanted)))
        held = [(-count, index) for index, count in counts.items() if count >= needed]
        return [index for _, index in heapq.nsmallest(most, held)]

    def _typo_ranking(self, query: str, floor: float, count: int) -> list[int]:
        """The ``count`` keys spelled most like ``query`` (difflib ratio against the whole key or its
        first ``len(query)`` letters, at least ``floor``), best first, ties to the earlier key. Only
        the :data:`TYPO_CANDIDATES` keys sharing most letter pairs with the query are compared, and
        difflib's cheap upper bounds skip most of those without the full comparison."""
        candidates = sorted(self._sharing(query, 0.0, TYPO_CANDIDATES))
        matcher = difflib.SequenceMatcher(None, "", query)
        best: list[tuple[float, int]] = []  # min-heap of (score, -index)
        for index in candidates or range(len(self._keys)):
            key = self._keys[index]
            threshold = max(floor, best[0][0]) if len(best) == count else floor
            score = -1.0
            for candidate in (key, key[: len(query)]) if len(key) > len(query) else (key,):
                matcher.set_seq1(candidate)
                if matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold:
                    score = max(score, matcher.ratio())
            if score >= threshold:
                heapq.heappush(best, (score, -index))
                if len(best) > count:
                    heapq.heappop(best)
        return [-negative for _, negative in sorted(best, reverse=True)]
