"""Timeouts on the external steps: a hung ffmpeg (a fake one on PATH that never reads: fault injection)
is killed at the job timeout, its member is told, and the next request is served; rendering stops at
its deadline."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from bot.audio.render import Renderer, RenderTimeout
from model.arrange import arrange
from model.compose import Composer
from tests.bot.discord_helpers import QUICK_BARS, embed_fields

JOB_TIMEOUT = 2.0


def hung_ffmpeg(directory: Path) -> Path:
    """An ``ffmpeg`` that starts and then never reads its input nor writes its output."""
    directory.mkdir()
    fake = directory / "ffmpeg"
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    fake.chmod(0o755)
    return fake


def sleepers() -> list[int]:
    """Child processes of this process that are the fake ffmpeg's ``sleep``."""
    mine = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1] == mine and command.startswith(b"sleep\x00600"):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("settings_overrides", [{"workers": 1, "job_timeout": JOB_TIMEOUT}])
async def test_a_hung_ffmpeg_is_stopped_its_member_told_and_the_next_request_served(
    scene: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel, alice, bob = scene
    monkeypatch.setenv("PATH", f"{hung_ffmpeg(tmp_path / 'bin').parent}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    hung = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    told_after = time.monotonic() - started
    monkeypatch.undo()
    served = await bob.slash(channel, "jazz", bars=QUICK_BARS)

    text = hung.response.content
    assert hung.ephemeral and f"took longer than {JOB_TIMEOUT:g} s" in text and "request id" in text
    assert not hung.followups
    assert told_after < JOB_TIMEOUT + 3.0  # the timeout, plus the start and the kill (a safety margin)
    print(f"told after {told_after:.2f} s with a {JOB_TIMEOUT:g} s job timeout")
    assert sleepers() == []  # the hung process was killed, not left behind
    assert embed_fields(served.followups[0])["Bars"] == str(QUICK_BARS)


def test_rendering_stops_at_its_deadline(renderer: Renderer) -> None:
    midi = arrange(Composer.load().compose(bars=4, seed=1)).midi
    with pytest.raises(RenderTimeout, match="deadline"):
        renderer.render(midi, deadline=time.monotonic() - 1.0)
    assert len(renderer.render(midi, deadline=time.monotonic() + 60.0)) > 0  # the next one is whole
