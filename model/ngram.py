"""An n-gram baseline for token sequences: interpolated Kneser-Ney, so the LSTM has something to beat.

Generic over hashable tokens. Each sequence is scored on its own, the context before its first token
padded with a start symbol that is never predicted. Tokens never seen in training (nor in an explicit
``vocabulary``) share one unknown-token slot, so the distribution over the vocabulary plus that slot
always sums to 1 and held-out text never scores infinite. The unit is nats per token, the same as
Keras' categorical cross-entropy.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

Token = Hashable
Context = tuple[Token, ...]


class _Start:
    """The padding before a sequence's first token (a class of its own: it equals no real token)."""

    def __repr__(self) -> str:
        return "<s>"


class _Unknown:
    def __repr__(self) -> str:
        return "<unk>"


START: Token = _Start()
UNKNOWN: Token = _Unknown()


@dataclass
class _Level:
    """Counts of one order: per context, the (raw or continuation) count of each next token, with the
    context's total and its number of distinct next tokens filled in by :meth:`freeze`."""

    counts: dict[Context, Counter[Token]] = field(default_factory=lambda: defaultdict(Counter))
    discount: float = 0.75
    totals: dict[Context, int] = field(default_factory=dict)
    types: dict[Context, int] = field(default_factory=dict)

    def freeze(self) -> None:
        self.counts = dict(self.counts)
        self.totals = {h: sum(c.values()) for h, c in self.counts.items()}
        self.types = {h: len(c) for h, c in self.counts.items()}
        self.discount = _discount(self)


def _discount(level: _Level) -> float:
    """Ney's estimate D = n1 / (n1 + 2 n2) from how many grams were seen once and twice, kept in
    [0.1, 0.9] so every order keeps some mass for the lower one."""
    seen = Counter(c for counter in level.counts.values() for c in counter.values())
    n1, n2 = seen[1], seen[2]
    return min(0.9, max(0.1, n1 / (n1 + 2 * n2))) if n1 + n2 else 0.75


class KneserNey:
    """An order-``order`` interpolated Kneser-Ney model (one discount per order).

    The highest order uses raw counts; each lower order uses continuation counts (how many distinct
    tokens precede the gram), and the unigram level is interpolated with the uniform distribution
    over the vocabulary, so every vocabulary token (and the unknown slot) gets some probability.
    """

    def __init__(self, order: int) -> None:
        if order < 1:
            raise ValueError(f"an n-gram model needs order 1 or more, not {order}")
        self.order = order
        self.vocabulary: tuple[Token, ...] = ()
        self._known: frozenset[Token] = frozenset()
        self._levels: list[_Level] = []

    def fit(self, sequences: Iterable[Sequence[Token]], vocabulary: Iterable[Token] = ()) -> KneserNey:
        """Count ``sequences``; ``vocabulary`` adds tokens that may occur but were not trained on."""
        grams: Counter[tuple[Token, ...]] = Counter()
        known: dict[Token, None] = dict.fromkeys(vocabulary)
        pad = (START,) * (self.order - 1)
        for sequence in sequences:
            padded = (*pad, *sequence)
            known.update(dict.fromkeys(sequence))
            for i in range(len(pad), len(padded)):
                grams[padded[i - self.order + 1 : i + 1]] += 1
        self.vocabulary = (*known, UNKNOWN)
        self._known = frozenset(known)
        levels = [_Level() for _ in range(self.order)]  # levels[k]: contexts of k tokens
        for gram, count in grams.items():
            levels[-1].counts[gram[:-1]][gram[-1]] += count
        for k in range(self.order - 1, 0, -1):
            # continuation counts: each distinct (k+1)-gram adds one to the k-gram it ends with
            for context, counter in levels[k].counts.items():
                for token in counter:
                    levels[k - 1].counts[context[1:]][token] += 1
        for level in levels:
            level.freeze()
        self._levels = levels
        return self

    def probability(self, token: Token, context: Sequence[Token]) -> float:
        """P(token | the last order-1 tokens of ``context``), START-padded on the left."""
        if not self._levels:
            raise ValueError("fit the model before asking for probabilities")
        known = token if token in self._known else UNKNOWN
        return self._probability(known, self._context(context))

    def _context(self, context: Sequence[Token]) -> Context:
        width = self.order - 1
        padded = (*(START,) * width, *context)
        return tuple(padded[len(padded) - width :]) if width else ()

    def _probability(self, token: Token, context: Context) -> float:
        probability = 1.0 / len(self.vocabulary)
        for k in range(len(context) + 1):  # unigram level first, then longer contexts
            history = context[len(context) - k :] if k else ()
            level = self._levels[k]
            total = level.totals.get(history, 0)
            if not total:
                continue  # an unseen context passes the lower order's estimate on unchanged
            count = level.counts[history].get(token, 0)
            weight = level.discount * level.types[history] / total
            probability = max(count - level.discount, 0.0) / total + weight * probability
        return probability

    def nll(self, sequences: Iterable[Sequence[Token]]) -> float:
        """Mean negative log-likelihood per token, in nats, of every token of ``sequences``."""
        total, count = 0.0, 0
        for sequence in sequences:
            for i, token in enumerate(sequence):
                total -= math.log(self.probability(token, sequence[max(0, i - self.order + 1) : i]))
                count += 1
        if not count:
            raise ValueError("no tokens to score")
        return total / count
