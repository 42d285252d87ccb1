"""The ``/jazz`` command and the flow every clip takes on Discord, also for the clip buttons.

The flow answers Discord first and works afterwards: once the request is read (text parsing, a few
milliseconds; a bad request is refused privately right away), the interaction is deferred (an ephemeral
"thinking" placeholder) before anything else runs, so the 3-second window can never be missed. The
placeholder then shows the queue position and the stage, edited at most once per :data:`MIN_EDIT_INTERVAL`
and only when the text changes, and finally says how long it took (or, on failure, why). The clip itself
goes out as one public message: the audio (which Discord plays inline), the ``.mid``, an embed with the
piano roll and the clip's facts, and the buttons. All composing, rendering and encoding happens in the job
queue's worker threads behind :class:`~bot.services.jazz.JazzService`; nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.audio.clips import Clip
from bot.core.failures import new_request_id
from bot.core.limits import MIN_TEMPERATURE
from bot.core.requests import (
    MAX_LIKE_CHARS,
    MAX_SEED,
    MAX_TEXT_CHARS,
    build_request,
    ignored_note,
    parse_request_text,
)
from bot.core.text import fit, literal
from bot.discord.buttons import ClipAction, clip_view
from bot.discord.errors import NO_MENTIONS, describe_failure, refusals, send_private
from bot.services.catalog import like_caption, like_label, like_suggestions, meter_caption
from bot.services.jazz import Remake, Requester
from bot.services.jobs import Progress, ProgressCallback, ShuttingDown
from bot.services.settings import MAX_BARS_LIMIT
from bot.services.startup import Services
from bot.store.clips import StoredClip
from model.arrange import LEAD_INSTRUMENTS, STYLES
from model.compose import MAX_TEMPERATURE, MAX_TEMPO, MIN_TEMPO
from model.errors import InputError
from model.primer import EXAMPLE, MAX_MIDI_BYTES, primer_from_midi, primer_text
from model.primer import MAX_CHARS as MAX_IDEA_CHARS
from model.tunes import describe, suggest

log = logging.getLogger(__name__)

MIN_EDIT_INTERVAL = 1.5  # seconds between two edits of the progress placeholder
MAX_CHOICES = 25  # Discord's limit for choices and autocomplete suggestions
MAX_CHOICE_VALUE = 100  # Discord's limit for a choice's value
MAX_FIELD = 1024  # Discord's limit for an embed field's value
MAX_KEY_TEXT = 20  # "F# harmonic minor" fits

ClipJob = Callable[[ProgressCallback], Awaitable[tuple[StoredClip, Clip]]]

_STAGES = {
    "composing": "🎼 Composing the melody…",
    "arranging": "🎹 Arranging for the band…",
    "rendering": "🎧 Rendering the audio…",
    "encoding": "📦 Encoding the audio…",
    "drawing": "🖼️ Drawing the piano roll…",
}


def progress_text(progress: Progress) -> str | None:
    """What the placeholder says for ``progress``; None for states it does not show (done)."""
    if progress.state == "queued":
        if progress.position:
            return f"⏳ In the queue: position {progress.position}."
        return "⏳ In the queue."
    return _STAGES.get(progress.state)


class StatusMessage:
    """The user's private placeholder for one clip, throttled and never failing the job."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self._interaction = interaction
        self._clock = asyncio.get_running_loop().time
        self._shown: str | None = None
        self._last_edit = -math.inf
        self._lock = asyncio.Lock()
        self._final = False

    async def progress(self, progress: Progress) -> None:
        """Show ``progress`` unless nothing changed, the last edit was too recent, or it is over."""
        text = progress_text(progress)
        async with self._lock:
            if self._final or text is None or text == self._shown:
                return
            if self._clock() - self._last_edit < MIN_EDIT_INTERVAL:
                return
            await self._edit(text)

    async def finish(self, text: str) -> None:
        """Show the last word (done, or what went wrong); later progress is ignored."""
        async with self._lock:
            self._final = True
            await self._edit(text)

    async def _edit(self, text: str) -> None:
        try:
            await self._interaction.edit_original_response(content=fit(text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:  # progress is best effort: the clip still comes
            log.debug("could not update the progress message: %s", error)
        self._shown = text
        self._last_edit = self._clock()


def requester(interaction: discord.Interaction) -> Requester:
    """Who is asking, in the adapter-neutral form the services take."""
    return Requester(
        user_id=interaction.user.id,
        user_name=interaction.user.display_name,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
    )


def follow_up(interaction: discord.Interaction) -> tuple[int, str]:
    """(application id, token): what a job row keeps so a restart can still answer the interaction."""
    return interaction.application_id, interaction.token


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_embed(stored: StoredClip, clip: Clip, seconds: float) -> discord.Embed:
    """The embed under a clip: the piano roll as its image and the facts to reproduce it."""
    piece = clip.piece
    style, instrument = clip.options.style, clip.options.lead
    like = like_caption(piece.extra.get("like", ""))
    embed = discord.Embed(
        title=f"{piece.bars} bars of {style}{meter_caption(piece.beats_per_bar)} in {piece.key.name}",
        description=f"{instrument} with piano, bass and drums · {clip.duration:.0f} s"
        + (f"\n{_truncate(like, MAX_FIELD)}" if like else ""),
        colour=discord.Colour.dark_gold(),
    )
    fields = (
        ("Bars", str(piece.bars)),
        ("Key", piece.key.name),
        ("Tempo", f"{piece.tempo} bpm"),
        ("Meter", piece.meter),
        ("Style", style),
        ("Instrument", instrument),
        ("Seed", str(piece.seed)),
        ("Temperature", f"{piece.temperature:g}"),
        ("Model", piece.model),
        ("Time taken", f"{seconds:.1f} s"),
    )
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=True)
    embed.add_field(name="Progression", value=progression_field(piece.progression, clip.chart), inline=False)
    embed.set_image(url=f"attachment://{clip.filename('png')}")
    origin = f" · from clip #{stored.parent_id}" if stored.parent_id is not None else ""
    embed.set_footer(text=f"clip #{stored.id}{origin}")
    return embed


def progression_field(progression: str | None, chart: str) -> str:
    """The tune's title and slug (a typed chart has neither: the chart says it all) above the chart as
    played, cut to fit an embed field inside its code block so the block still closes."""
    source = f"{describe(progression)} · `{progression}`\n" if progression and "|" not in progression else ""
    fence = "```"
    return f"{source}{fence}{_truncate(chart, MAX_FIELD - len(source) - 2 * len(fence))}{fence}"


def clip_files(clip: Clip) -> list[discord.File]:
    """The audio (played inline by Discord), the MIDI and the piano roll the embed shows."""
    return [
        discord.File(io.BytesIO(clip.audio), filename=clip.filename(clip.audio_format)),
        discord.File(io.BytesIO(clip.midi), filename=clip.filename("mid")),
        discord.File(io.BytesIO(clip.png), filename=clip.filename("png")),
    ]


def stored_clip_files(stored: StoredClip) -> list[discord.File]:
    """A stored clip's audio (unless it was not kept) and MIDI, for a post after a restart."""
    name = f"jazz-clip{stored.id}-seed{stored.request.seed}"
    files = [discord.File(io.BytesIO(stored.midi), filename=f"{name}.mid")]
    if stored.audio:
        files.insert(0, discord.File(io.BytesIO(stored.audio), filename=f"{name}.{stored.audio_format}"))
    return files


async def post_stored_clip(
    webhook: discord.Webhook, services: Services, stored: StoredClip
) -> discord.WebhookMessage:
    """Post a clip that was stored but not posted before a restart, through its interaction's follow-up
    webhook: the audio and MIDI, its chart and the usual buttons (the piano roll is not stored)."""
    embed = discord.Embed(
        title=f"{stored.request.bars} bars, clip #{stored.id}",
        description="Finished just before I restarted; here it is.",
        colour=discord.Colour.dark_gold(),
    )
    chart = progression_field(stored.progression, stored.chart)
    embed.add_field(name="Progression", value=chart, inline=False)
    embed.set_footer(text=f"clip #{stored.id}")
    return await webhook.send(
        content=f"<@{stored.user_id}>'s clip",
        embed=embed,
        files=stored_clip_files(stored),
        view=clip_view(stored.id, submit=await _submit_shown(services, stored.guild_id)),
        allowed_mentions=NO_MENTIONS,
        wait=True,
    )


async def _submit_shown(services: Services, guild_id: int | None) -> bool:
    """Whether the Submit button belongs under a clip: only while the guild has an open challenge."""
    if services.challenges is None or guild_id is None:
        return False
    return await services.challenges.open_challenge(guild_id) is not None


async def deliver(
    interaction: discord.Interaction, services: Services, job: ClipJob, note: str | None = None
) -> None:
    """Defer, run ``job`` with a progress placeholder, post the clip; every failure ends in the
    placeholder as a friendly message (bugs with a request id, see :mod:`bot.discord.errors`).
    ``note`` (what the request left out) is added to the final word of the placeholder.

    The whole flow is one clip in flight (:attr:`bot.services.jazz.JazzService.flights`): a shutdown waits
    until the clip is posted, and once it has begun a new request is told the bot is restarting. The job
    is marked done only after the post (:meth:`~bot.services.jazz.JazzService.posted`)."""
    flights = services.jazz.flights
    if flights.closed:
        await send_private(interaction, str(ShuttingDown()))
        return
    with flights.hold():
        await interaction.response.defer(ephemeral=True, thinking=True)
        clock = asyncio.get_running_loop().time
        started = clock()
        status = StatusMessage(interaction)
        try:
            stored, clip = await job(status.progress)
        except Exception as error:
            await status.finish(describe_failure(error, new_request_id()))
            return
        seconds = clock() - started
        try:
            # Editing the placeholder first completes the deferral, so the follow-up below becomes a new,
            # public message instead of replacing the private placeholder.
            await status.finish(f"✅ Done in {seconds:.1f} s." + (f"\n-# {note}" if note else ""))
            message = await interaction.followup.send(
                content=f"{interaction.user.mention}'s clip",
                embed=clip_embed(stored, clip, seconds),
                files=clip_files(clip),
                view=clip_view(stored.id, submit=await _submit_shown(services, interaction.guild_id)),
                allowed_mentions=NO_MENTIONS,
                wait=True,
            )
        except Exception as error:
            text = describe_failure(error, new_request_id())
            await services.jazz.not_posted(stored.id, text)
            await status.finish(text)
            return
        await services.jazz.posted(stored.id, message.id)


def _choices(names: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in names[:MAX_CHOICES]]


async def progression_choices(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Library progressions whose name contains what was typed; a typed chart is offered as is."""
    typed = current.strip()
    choices: list[app_commands.Choice[str]] = []
    if "|" in typed and len(typed) <= MAX_CHOICE_VALUE:  # a longer chart is sent as typed
        choices.append(app_commands.Choice(name=typed, value=typed))
    for title in suggest(typed, MAX_CHOICES - len(choices)):
        choices.append(app_commands.Choice(name=title, value=title))
    return choices


def jazz_command(services: Services) -> app_commands.Command[Any, ..., None]:
    """The ``/jazz`` slash command bound to ``services``."""

    async def like_choices(_interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Eras and the soloists the loaded model knows, matching what was typed."""
        names = like_suggestions(services.composer.soloists, current, MAX_CHOICES)
        return [app_commands.Choice(name=like_label(name), value=name) for name in names]

    @app_commands.command(name="jazz", description="Compose a jazz clip played by a small band.")
    @app_commands.describe(
        request="Say it in words: '8 bars ballad in F at 70 bpm', 'blues in Bb on vibes'",
        bars="How many bars (default 16)",
        tempo="Beats per minute (default: the style's own)",
        key="Key, e.g. Bb, F#m, Eb minor (default: C, major or minor)",
        style="Feel of the band (default swing)",
        progression="A tune's changes, or your own chart like | Dm7 | G7 | Cmaj7 |",
        temperature="How adventurous the melody is: 0.5 tame, 1.0 default, 2 wild",
        seed="The seed shown under a clip: same seed and options, same clip",
        instrument="Lead instrument (default: the soloist's own with like, else tenor sax)",
        like="Play like a soloist or an era: Charlie Parker, Chet Baker, bebop, hard bop",
        continue_=f"Start with your notes, e.g. {EXAMPLE} (C4 is middle C, :2 = 2 beats, r = rest)",
        continue_midi="Start with a MIDI file's melody (its first single-note part, up to 8 bars)",
    )
    @app_commands.rename(continue_="continue")
    @app_commands.choices(style=_choices(list(STYLES)), instrument=_choices(list(LEAD_INSTRUMENTS)))
    @app_commands.autocomplete(progression=progression_choices, like=like_choices)
    async def jazz(
        interaction: discord.Interaction,
        request: app_commands.Range[str, 1, MAX_TEXT_CHARS] | None = None,
        bars: app_commands.Range[int, 1, MAX_BARS_LIMIT] | None = None,
        tempo: app_commands.Range[int, MIN_TEMPO, MAX_TEMPO] | None = None,
        key: app_commands.Range[str, 1, MAX_KEY_TEXT] | None = None,
        style: str | None = None,
        progression: app_commands.Range[str, 1, MAX_TEXT_CHARS] | None = None,
        temperature: app_commands.Range[float, MIN_TEMPERATURE, MAX_TEMPERATURE] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        instrument: str | None = None,
        like: app_commands.Range[str, 1, MAX_LIKE_CHARS] | None = None,
        continue_: app_commands.Range[str, 1, MAX_IDEA_CHARS] | None = None,
        continue_midi: discord.Attachment | None = None,
    ) -> None:
        # Reading the request is a few regular expressions, well inside Discord's 3 s; a bad one is
        # answered at once, privately, without a "thinking" placeholder.
        async with refusals(interaction):
            parsed = parse_request_text(request or "")
            here = await services.guild_settings.for_guild(interaction.guild_id)  # /settings
            wanted = build_request(
                parsed,
                max_bars=here.max_bars,
                bars=bars,
                tempo=tempo,
                key=key,
                style=here.style_for(parsed, style),
                progression=progression,
                temperature=temperature,
                seed=seed,
                instrument=instrument,
                like=like,
                primer=continue_ if continue_midi is None else None,
            )
            if continue_midi is not None:  # its bars are read in the meter the request plays
                idea = await midi_idea(continue_, continue_midi, wanted.beats_per_bar)
                wanted = dataclasses.replace(wanted, primer=idea)
            services.jazz.check(wanted)  # an unknown soloist is refused now, privately

            async def job(progress: ProgressCallback) -> tuple[StoredClip, Clip]:
                return await services.jazz.compose(
                    requester(interaction), wanted, progress, interaction=follow_up(interaction)
                )

            await deliver(interaction, services, job, ignored_note(parsed))

    return jazz


async def midi_idea(typed: str | None, attachment: discord.Attachment, beats: int) -> str:
    """The melody of an attached MIDI file as note text with bars of ``beats`` (what the request
    stores). The size is checked before the download; reading a file that small takes a fraction of a
    second, in a thread."""
    if typed is not None:
        raise InputError("Give your idea as notes (continue) or as a MIDI file (continue_midi), not both.")
    if not attachment.filename.lower().endswith((".mid", ".midi")):
        raise InputError(f"continue_midi takes a .mid file; or type the notes, e.g. continue:{EXAMPLE}")
    if attachment.size > MAX_MIDI_BYTES:
        raise InputError(
            f"That MIDI file is {attachment.size:,} bytes; for an idea, files up to "
            f"{MAX_MIDI_BYTES:,} bytes work."
        )
    notes = await asyncio.to_thread(primer_from_midi, await attachment.read(), beats)
    return primer_text(notes, beats)


_REMAKES: dict[ClipAction, Remake] = {
    ClipAction.REGENERATE: "regenerate",
    ClipAction.EXTEND: "extend",
    ClipAction.VARY: "vary",
}


async def on_clip_button(
    services: Services, interaction: discord.Interaction, action: ClipAction, clip_id: int
) -> None:
    """A click on a clip button: a new clip from the stored one, or a challenge submission."""
    who = requester(interaction)
    if action is ClipAction.SUBMIT:
        await _submit(services, interaction, who, clip_id)
        return
    kind = _REMAKES[action]

    async def job(progress: ProgressCallback) -> tuple[StoredClip, Clip]:
        return await services.jazz.remake(kind, who, clip_id, progress, follow_up(interaction))

    await deliver(interaction, services, job)


async def _retire_submit_button(interaction: discord.Interaction, clip_id: int) -> None:
    """Take the Submit button off a clip message once no challenge takes entries (best effort: the
    refusal is what matters)."""
    if interaction.message is None:
        return
    try:
        await interaction.message.edit(view=clip_view(clip_id, submit=False))
    except discord.HTTPException as error:
        log.info("could not take the Submit button off clip %s: %s", clip_id, error)


async def _submit(services: Services, interaction: discord.Interaction, who: Requester, clip_id: int) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        if services.challenges is None or who.guild_id is None:
            raise InputError("Challenges run in servers only, and none is open here right now.")
        if await services.challenges.open_challenge(who.guild_id) is None:
            await _retire_submit_button(interaction, clip_id)
            raise InputError(
                "This challenge has closed to entries, so the Submit button no longer works "
                "(I have taken it off this clip)."
            )
        entry = await services.challenges.submit_clip(who.guild_id, who.user_id, clip_id)
        text = f"🏆 Clip #{clip_id} is in the challenge as “{literal(entry.title)}”. Good luck!"
    except Exception as error:
        text = describe_failure(error, new_request_id())
    await interaction.edit_original_response(content=fit(text), allowed_mentions=NO_MENTIONS)
