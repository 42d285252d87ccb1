"""The Kneser-Ney baseline: a proper distribution at every order and context, and sensible NLLs."""

from __future__ import annotations

import math
import random

import pytest

from model.ngram import UNKNOWN, KneserNey


def corpus(seed: int, songs: int = 30, length: int = 60) -> list[list[str]]:
    rng = random.Random(seed)
    riffs = [["C:2:+1", "S:2:+1", "C:4:-2"], ["R:6", "C:6:0"], ["A:3:+1", "C:3:+1", "|"]]
    return [[token for _ in range(length // 3) for token in rng.choice(riffs)] for _ in range(songs)]


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_probabilities_sum_to_one_over_the_vocabulary_in_any_context(order: int) -> None:
    model = KneserNey(order).fit(corpus(0), vocabulary=["X:1:+4"])
    assert "X:1:+4" in model.vocabulary and UNKNOWN in model.vocabulary
    for context in ([], ["C:2:+1"], ["|", "A:3:+1", "C:3:+1"], ["C:4:-2"] * 6, ["never", "seen"]):
        total = math.fsum(model.probability(token, context) for token in model.vocabulary)
        assert total == pytest.approx(1.0, abs=1e-12)
        assert all(model.probability(token, context) > 0 for token in model.vocabulary)


def test_longer_contexts_predict_a_patterned_corpus_better_and_unseen_tokens_stay_finite() -> None:
    train, valid = corpus(0), corpus(1, songs=5)
    nll = {order: KneserNey(order).fit(train).nll(valid) for order in (1, 3, 5)}
    uniform = math.log(len(KneserNey(1).fit(train).vocabulary))
    assert nll[5] < nll[3] < nll[1] < uniform
    surprise = KneserNey(3).fit(train).nll([["C:2:+1", "brand-new", "S:2:+1"]])
    assert math.isfinite(surprise)


def test_an_unfitted_or_empty_model_is_refused() -> None:
    with pytest.raises(ValueError):
        KneserNey(0)
    with pytest.raises(ValueError):
        KneserNey(3).probability("a", [])
    with pytest.raises(ValueError):
        KneserNey(3).fit([["a"]]).nll([[]])
