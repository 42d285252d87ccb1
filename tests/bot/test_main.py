"""``python -m bot`` as a user runs it: a fresh process, settings from the environment, no Discord token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mido

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # a safety net for a hung process, not a measurement


def bot_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JAZZBOT_", "DISCORD_"))}
    return (
        environ
        | {
            "JAZZBOT_DATABASE": str(tmp_path / "data" / "bot.db"),
            "JAZZBOT_OUT_DIR": str(tmp_path / "out"),
            "JAZZBOT_WORKERS": "1",
            "PYTHONPATH": str(REPO),
        }
        | env
    )


def run_bot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env there
        env=bot_environment(tmp_path, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_once_writes_a_clip_and_exits_0(tmp_path: Path) -> None:
    done = run_bot(tmp_path, "--once", "/jazz 2 bars in F seed=11", DISCORD_TOKEN="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("clip #1: 2 bars in F")
    midi_line = next(line for line in done.stdout.splitlines() if line.startswith("midi: "))
    assert mido.MidiFile(midi_line.removeprefix("midi: ")).length > 0
    assert "settings: token not set (console mode)" in done.stderr
    assert (tmp_path / "data" / "bot.db").is_file()


def test_once_with_bad_input_exits_1_with_the_message(tmp_path: Path) -> None:
    done = run_bot(tmp_path, "--once", "/jazz 500 bars")
    assert done.returncode == 1
    assert "bars" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_prompt_runs_commands_until_end_of_input(tmp_path: Path) -> None:
    done = run_bot(tmp_path, stdin="/help\n/jazz 1 bar seed=2\n/frobnicate\n")
    assert done.returncode == 0, done.stderr
    assert "jazzbot> " in done.stdout and "/jazz <request>" in done.stdout
    assert "clip #1: 1 bar in " in done.stdout  # the picked tune's own key
    assert "Unknown command /frobnicate" in done.stdout


def test_ctrl_c_at_the_prompt_exits_cleanly(tmp_path: Path) -> None:
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=bot_environment(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert bot.stdout is not None
    shown = b""
    while not shown.endswith(b"jazzbot> "):  # wait for the prompt, however long the start takes
        byte = bot.stdout.read(1)
        assert byte, "the console ended before showing its prompt"
        shown += byte
    bot.send_signal(signal.SIGINT)
    _, errors = bot.communicate(timeout=TIMEOUT)
    assert bot.returncode == 0
    assert b"Traceback" not in errors and b"Fatal" not in errors


def test_bad_settings_stop_the_start_without_showing_the_token(tmp_path: Path) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
    done = run_bot(tmp_path, "--check", JAZZBOT_WORKERS="many", DISCORD_TOKEN=token)
    assert done.returncode == 2
    assert "JAZZBOT_WORKERS" in done.stderr and token not in done.stderr + done.stdout


def test_check_opens_everything(tmp_path: Path) -> None:
    done = run_bot(tmp_path, "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")


def test_the_bot_process_never_imports_the_training_libraries(tmp_path: Path) -> None:
    """Both adapters loaded and a clip made, in one process: the heavy training libraries (the ``train``
    extra, which a deployment does not install) stay out."""
    script = (
        "import asyncio, sys\n"
        "import bot.discord.app, bot.discord.challenges\n"
        "from bot.__main__ import run_console\n"
        "from bot.services.settings import load_settings\n"
        "assert asyncio.run(run_console(load_settings(env_file=None), '/jazz 2 bars seed=3')) == 0\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'music21', 'matplotlib') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=bot_environment(tmp_path, DISCORD_TOKEN=""),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
