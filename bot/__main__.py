"""``python -m bot`` (or ``jazzbot``): the Discord bot when ``DISCORD_TOKEN`` is set, else the local console.

``--once "/jazz 16 bars"`` runs one console command and exits (status 0 on success, 1 with the message on
bad input), whatever the token. ``--check`` opens everything the bot needs (settings, database and its
migrations, ffmpeg, soundfont, model) and exits 0 when all is well: the Docker HEALTHCHECK.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import replace

from bot.console.app import Console
from bot.services.settings import Settings, SettingsError, load_settings
from bot.services.startup import StartupError, open_services
from bot.store.database import SchemaTooNewError
from model.errors import InputError

log = logging.getLogger("bot")

EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jazzbot",
        description="A jazz-composing Discord bot; without DISCORD_TOKEN it starts a local console.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--once", metavar="COMMAND", help='run one console command and exit, e.g. "/jazz 16 bars"'
    )
    action.add_argument("--check", action="store_true", help="check settings, database, soundfont and model")
    return parser.parse_args(argv)


async def run_console(settings: Settings, once: str | None = None) -> int:
    """The console on fresh services: one command (``once``) or the prompt until /quit or Ctrl-D.

    The console has one user typing one command at a time, so the cooldown meant to spread a server's
    members over the queue would only get in the way."""
    services = await open_services(replace(settings, cooldown_seconds=0.0))
    try:
        if once is not None:
            reply = await Console(services, settings.out_dir).execute(once)
            print(reply.text, file=sys.stdout if reply.ok else sys.stderr)
            return 0 if reply.ok else EXIT_FAILED
        await Console(services, settings.out_dir, progress_out=sys.stderr).repl()
        return 0
    finally:
        await services.close()


async def check(settings: Settings) -> int:
    services = await open_services(settings)
    await services.close()
    print(f"ok: database {settings.database}, model {services.composer.name}, soundfont and ffmpeg found")
    return 0


async def _run_discord(settings: Settings) -> int:
    from bot.discord.app import run_discord  # discord.py is only needed with a token

    await run_discord(settings)
    return 0


def freeze_startup_objects() -> None:
    """Move everything imported so far out of the cyclic garbage collector's sight.

    Those objects live as long as the process. A full collection runs on whichever thread allocates,
    often a worker building MIDI or a clip, and holds the GIL (so the event loop) while it scans: without
    the startup objects (around a hundred thousand) a generation-2 pass is much shorter.
    """
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"jazzbot: {error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("settings: %s", settings.describe())
    freeze_startup_objects()
    try:
        if arguments.check:
            return asyncio.run(check(settings))
        if arguments.once is not None or not settings.discord_token:
            return asyncio.run(run_console(settings, arguments.once))
        return asyncio.run(_run_discord(settings))
    except (StartupError, InputError, OSError, sqlite3.Error, SchemaTooNewError) as error:
        print(f"jazzbot: cannot start: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:  # Ctrl-C: the services were closed on the way out
        print(file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
