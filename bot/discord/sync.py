"""Command sync only when the command tree changed.

Every start used to bulk-overwrite the commands, and Discord rate-limits command creation. Now the
tree's payload (what ``tree.sync`` would send: each command's ``to_dict``) is hashed and compared with
the hash stored for the same application and scope (global, or each dev guild); the sync endpoint is
called only when they differ, and the new hash is stored once Discord accepted it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.store.command_syncs import GLOBAL_SCOPE, CommandSyncStore

log = logging.getLogger(__name__)


def tree_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """The commands ``tree.sync(guild=guild)`` would send, in a stable order."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return sorted(payload, key=lambda command: (command.get("type", 1), command["name"]))


def tree_hash(payload: list[dict[str, Any]]) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys, no spaces): equal trees, equal hashes."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    store: CommandSyncStore,
    application_id: int,
    guild: discord.abc.Snowflake | None = None,
) -> bool:
    """Sync ``tree`` globally (``guild`` None) or to ``guild`` when its payload changed since the last
    sync there; True when it synced. Logs either way."""
    scope = GLOBAL_SCOPE if guild is None else guild.id
    where = "global" if guild is None else f"guild {guild.id}"
    payload = tree_payload(tree, guild)
    wanted = tree_hash(payload)
    if await store.last_hash(application_id, scope) == wanted:
        log.info("%s commands unchanged (%d, hash %s): not syncing", where, len(payload), wanted[:12])
        return False
    synced = await tree.sync(guild=guild)
    await store.record(application_id, scope, wanted)
    log.info("synced %d %s commands (hash %s)", len(synced), where, wanted[:12])
    return True
