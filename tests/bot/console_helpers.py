"""Console commands that must be answered, or refused, for the console tests."""

from __future__ import annotations

from bot.console.app import Console


async def ok(console: Console, line: str) -> str:
    """The console's answer to ``line``, which must be a success."""
    reply = await console.execute(line)
    assert reply.ok, reply.text
    return reply.text


async def refused(console: Console, line: str) -> str:
    """The console's answer to ``line``, which must be a refusal."""
    reply = await console.execute(line)
    assert not reply.ok, reply.text
    return reply.text
