"""A line's prior without a rhythm term (the unstyled lines') shifts a note by its pitch alone, so the
draw sums it once per pitch of the line's range instead of once per token: the same floats."""

from __future__ import annotations

import numpy as np

from model.compose import REGISTER_PULL, SILENT, Composer
from model.register import MAX_MOVE
from model.style_priors import StylePrior, load_priors, token_class
from tests.model.test_register import always_ending


def test_the_per_pitch_shift_is_the_per_token_sum(composer: Composer) -> None:
    classes = tuple(token_class(t) for t in composer.vocab)
    prior = StylePrior.start(
        load_priors(), classes, REGISTER_PULL / 144, 1, (None, None), 160, (55, 84), always_ending()
    )
    assert prior.density is None
    prior.register.offsets.append(4.0)  # a phrase aiming above the centre: the tilt is not 0
    pitches = np.array([55, 60, 61, 64, 70, 84, SILENT + 64, SILENT + 55], dtype=np.int64)
    tokens = np.arange(len(pitches))
    for previous in (55, 64, 84):
        at = pitches - (previous - MAX_MOVE)
        per_token = prior.by_move.take(at, mode="clip") + prior.register.tilt(at)
        shift = prior.shift(tokens, pitches, previous)
        assert isinstance(shift, np.ndarray)
        assert shift.tolist() == per_token.tolist()  # exactly
        assert shift[-2:].tolist() == [0.0, 0.0]  # rests and ties
    assert prior.shift(tokens, pitches, None) == 0.0
