"""The clip codec of the worker tier: real clips (plain, styled, a waltz, an idea) come back equal; a
payload naming anything but the clip's own types is refused before it can run."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

import pytest

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.services.clip_codec import dump_clip, load_clip
from bot.services.settings import Settings
from bot.services.studio import Studio
from model.compose import Composer


@pytest.fixture(scope="module")
def studio() -> Iterator[Studio]:
    studio = Studio(Composer.load(), Settings())
    yield studio
    studio.close()


@pytest.mark.parametrize(
    "request_",
    [
        JazzRequest(bars=4, seed=1),
        JazzRequest(bars=4, seed=2, like="Parker"),
        JazzRequest(bars=8, seed=3, style="waltz", meter=3),
        JazzRequest(bars=4, seed=4, primer="C D E G"),
    ],
)
def test_a_real_clip_comes_back_equal(studio: Studio, request_: JazzRequest) -> None:
    clip = studio.make(request_)
    back = load_clip(dump_clip(clip))
    assert back == clip and isinstance(back, Clip)


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo owned > /dev/null",))


def test_a_payload_that_would_run_code_or_is_not_a_clip_is_refused() -> None:
    with pytest.raises(pickle.UnpicklingError, match=r"may not build posix\.system"):
        load_clip(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError, match=r"may not build tests\.bot\.test_clip_codec\.Evil"):
        load_clip(pickle.dumps(Evil, protocol=pickle.HIGHEST_PROTOCOL))
    with pytest.raises(pickle.UnpicklingError, match="holds a dict, not a Clip"):
        load_clip(pickle.dumps({"audio": b""}))
