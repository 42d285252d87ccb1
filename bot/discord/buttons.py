"""The buttons under every clip: Regenerate, Extend, Vary, Play in voice, (during a challenge) Submit,
and Why? (:mod:`bot.discord.why`).

They are :class:`discord.ui.DynamicItem` s whose whole state is the ``custom_id`` (``jazz:<action>:<clip
id>``) plus the clip's row in SQLite, so a button on a week-old message still works after any number of
restarts: discord.py rebuilds the item from the ``custom_id`` on every click. What a click does lives with
the bot (:class:`ClipButtonHandler`), which keeps this module free of the job flow.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Protocol, runtime_checkable

import discord

from bot.core.limits import in_range
from bot.discord.errors import RefusedWhenStopped, send_private
from bot.discord.why import WhyButton


class ClipAction(Enum):
    """A button's action; the value is what goes into the ``custom_id``."""

    REGENERATE = "regen"
    EXTEND = "extend"
    VARY = "vary"
    SUBMIT = "submit"
    PLAY = "play"  # in the member's voice channel (bot/discord/voice.py)


_LOOKS: dict[ClipAction, tuple[str, str, discord.ButtonStyle]] = {
    ClipAction.REGENERATE: ("Regenerate", "🔁", discord.ButtonStyle.secondary),
    ClipAction.EXTEND: ("Extend +8 bars", "➕", discord.ButtonStyle.secondary),
    ClipAction.VARY: ("Vary", "🎲", discord.ButtonStyle.secondary),
    ClipAction.SUBMIT: ("Submit to challenge", "🏆", discord.ButtonStyle.success),
    ClipAction.PLAY: ("Play in voice", "🔊", discord.ButtonStyle.secondary),
}


@runtime_checkable
class ClipButtonHandler(Protocol):
    """What the client does when someone clicks a clip button (implemented by ``JazzBot``)."""

    async def on_clip_button(
        self, interaction: discord.Interaction, action: ClipAction, clip_id: int
    ) -> None:
        """Handle the click; must answer the interaction and report its own failures."""


_TEMPLATE = r"jazz:(?P<action>" + "|".join(action.value for action in ClipAction) + r"):(?P<clip>[0-9]{1,25})"


class ClipButton(RefusedWhenStopped, discord.ui.DynamicItem[discord.ui.Button[Any]], template=_TEMPLATE):
    """One clip button; rebuilt from its ``custom_id`` for every click, also after a restart."""

    def __init__(self, action: ClipAction, clip_id: int) -> None:
        label, emoji, style = _LOOKS[action]
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style, custom_id=f"jazz:{action.value}:{clip_id}"
            )
        )
        self.action = action
        self.clip_id = clip_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ClipButton:
        return cls(ClipAction(match["action"]), int(match["clip"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if not in_range(self.clip_id):  # a forged id, too large for SQLite
            await send_private(interaction, f"There is no clip #{self.clip_id}.")
        elif isinstance(client, ClipButtonHandler):
            await client.on_clip_button(interaction, self.action, self.clip_id)


def clip_view(clip_id: int, *, submit: bool) -> discord.ui.View:
    """The buttons to post under clip ``clip_id``; Submit only while the guild has an open challenge."""
    view = discord.ui.View(timeout=None)
    actions = [ClipAction.REGENERATE, ClipAction.EXTEND, ClipAction.VARY, ClipAction.PLAY]
    if submit:
        actions.append(ClipAction.SUBMIT)
    for action in actions:
        view.add_item(ClipButton(action, clip_id))
    view.add_item(WhyButton(clip_id))
    return view
