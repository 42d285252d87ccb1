"""``/privacy`` in the console: what is stored about the console member, and deleting it.

``/privacy`` shows it, ``/privacy delete`` says what deleting does, ``/privacy delete yes`` does it
(the console's stand-in for Discord's confirmation button).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.services.privacy import ERASE_POLICY, erased_text, report_text
from bot.services.startup import Services
from model.errors import InputError

if TYPE_CHECKING:
    from bot.services.jazz import Requester


def _moment(epoch: float) -> str:
    return f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d}"


async def handle_privacy(services: Services, who: Requester, args: str) -> str:
    words = args.lower().split()
    if not words:
        data = await services.privacy.report(who.user_id)
        text = report_text(data, _moment)
        return text if data.empty else f"{text}\n/privacy delete deletes it (it asks first)."
    if words == ["delete"]:
        return f"{ERASE_POLICY}\nType /privacy delete yes to delete your data."
    if words == ["delete", "yes"]:
        return erased_text(await services.privacy.erase(who.user_id))
    raise InputError("Use /privacy to see your data, /privacy delete to delete it.")
