"""``python -m bot`` as a user runs it: a fresh process, settings from the environment, no Discord token."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
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


def test_check_fails_on_a_damaged_database_file(tmp_path: Path) -> None:
    assert run_bot(tmp_path, "--check").returncode == 0
    database = tmp_path / "data" / "bot.db"
    with sqlite3.connect(database) as conn:
        [(root,)] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'removed_entries'")
        [(page_size,)] = conn.execute("PRAGMA page_size")
    with database.open("r+b") as damaged:  # a table the start never reads: only a full check finds it
        damaged.seek((root - 1) * page_size)
        damaged.write(b"\xde\xad\xbe\xef" * (page_size // 4))

    done = run_bot(tmp_path, "--check")

    assert done.returncode == 1 and done.stdout == ""
    assert f"the database {database} is damaged: " in done.stderr and "Traceback" not in done.stderr


def test_the_console_reports_jobs_an_earlier_run_left_unfinished(tmp_path: Path) -> None:
    assert run_bot(tmp_path, "--once", "/jazz 1 bar seed=4").returncode == 0
    database = tmp_path / "data" / "bot.db"
    with sqlite3.connect(database) as conn:  # what a crash mid-job leaves: the row still running
        conn.execute(
            """INSERT INTO jobs (kind, user_id, request, state, created_at, started_at)
               SELECT kind, user_id, request, 'running', created_at, created_at FROM jobs"""
        )

    done = run_bot(tmp_path, "--once", "/help")

    assert done.returncode == 0, done.stderr
    assert "job 2 (compose, 1 bar) was interrupted by a restart; please ask again." in done.stderr
    with sqlite3.connect(database) as conn:
        states = conn.execute("SELECT id, state FROM jobs ORDER BY id").fetchall()
    assert states == [(1, "done"), (2, "failed")]


def test_sigterm_during_a_once_command_lets_its_clip_finish_and_be_written(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.db"
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--once", "/jazz 16 bars seed=5"],
        cwd=tmp_path,
        env=bot_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while not _job_states(database) and time.monotonic() < deadline:  # wait until the job is recorded
        time.sleep(0.02)
    bot.send_signal(signal.SIGTERM)
    out, errors = bot.communicate(timeout=TIMEOUT)

    assert bot.returncode == 0, errors
    assert "SIGTERM: finishing the clip in progress" in errors and "Traceback" not in errors
    assert out.startswith("clip #1: 16 bars")
    assert _job_states(database) == ["done"]
    assert len(list((tmp_path / "out").glob("clip1-*"))) == 3  # audio, MIDI and picture


def _job_states(database: Path) -> list[str]:
    try:
        with sqlite3.connect(database) as conn:
            return [state for (state,) in conn.execute("SELECT state FROM jobs ORDER BY id")]
    except sqlite3.OperationalError:  # not created or not migrated yet
        return []


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
