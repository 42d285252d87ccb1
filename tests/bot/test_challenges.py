"""The challenge rules (bot.services.challenges) on both backends (a real SQLite file and the real
PostgreSQL server, tests/bot/conftest.py): every refusal says why and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services.challenge_text import TextStyle, challenge_text, profile_text, results_text
from bot.services.challenges import (
    SUBMIT_WINDOW,
    SUBMITS_PER_WINDOW,
    ChallengeService,
    NotAllowed,
    Tie,
    check_link,
    clean_text,
    parse_deadline,
    parse_duration,
)
from bot.services.settings import Settings
from bot.store.challenges import (
    Challenge,
    ChallengeRefused,
    ChallengeStore,
    SubmissionRefused,
    VoteRefusal,
    VoteRefused,
)
from bot.store.clips import ClipNotFound, ClipStore
from bot.store.sql import Database
from model.errors import InputError
from tests.bot.challenge_helpers import (
    CHANNEL,
    GUILD,
    MOD,
    OTHER_GUILD,
    START,
    SUBMIT_BY,
    VOTE_BY,
    Clock,
    add_clip,
    tiny_midi,
)

STYLE = TextStyle(member=lambda user: f"member{user}", moment=lambda epoch: f"t{epoch:.0f}")


@pytest.fixture
def service(conn: Database, clock: Clock) -> ChallengeService:
    settings = Settings(moderator_role="Jazz mods", min_account_age_days=7)
    return ChallengeService(ChallengeStore(conn, clock), ClipStore(conn, clock), settings, clock)


async def start(service: ChallengeService, guild: int = GUILD, **options: Any) -> Challenge:
    arguments: dict[str, Any] = {
        "is_moderator": True,
        "title": "Wizard of the week",
        "prompt": "A clip in any genre",
        "submit_by": "3d",
        "vote_by": "2d",
    }
    arguments.update(options)
    return await service.start(guild, CHANNEL, MOD, **arguments)


async def snapshot(conn: Database) -> list[object]:
    """Every row that a refused command must leave alone."""
    rows: list[object] = []
    for table in ("challenges", "entries", "votes", "removed_entries"):
        rows.append([tuple(row) for row in await conn.fetch_all(f"SELECT * FROM {table} ORDER BY 1")])
    return rows


async def refused(conn: Database, attempt: Awaitable[object], error: type[Exception], match: str) -> None:
    before = await snapshot(conn)
    with pytest.raises(error, match=match):
        await attempt
    assert await snapshot(conn) == before


# --- deadlines and text ----------------------------------------------------------------------------


def test_durations_and_dates_become_deadlines() -> None:
    now = START
    assert parse_deadline("3d", now) == now + timedelta(days=3)
    assert parse_deadline("36h", now) == now + timedelta(hours=36)
    assert parse_deadline("90m", now) == now + timedelta(minutes=90)
    assert parse_deadline("1d 12h", now) == now + timedelta(hours=36)
    assert parse_deadline("2 days", now, after=now + timedelta(days=1)) == now + timedelta(days=3)
    assert parse_deadline("2026-12-01", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_deadline("2026-12-01T18:30", now) == datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    assert parse_deadline("2026-12-01T18:30+01:00", now) == datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert parse_duration("soon") is None and parse_duration("3d and then some") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-01-01", "in the past"),
        ("2036-11-24", "at most a year"),
        ("3650d", "at most a year"),
        ("999999w", "at most a year"),
        ("99999999999d", "not a deadline"),
        ("9999-12-31", "at most a year"),
        ("0m", "at least a minute"),
        ("next tuesday", "not a deadline"),
        ("'; DROP TABLE challenges; --", "not a deadline"),
    ],
)
def test_bad_deadlines_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_deadline(text, START)


def test_member_text_never_pings_and_keeps_its_length() -> None:
    for pinging in ("@everyone look", "hi @here", "@EVERYONE", "<@&123456> fans", "@\u200beveryone"):
        with pytest.raises(InputError, match="cannot mention @everyone"):
            clean_text(pinging, "title", 100)
    assert clean_text("for <@42> and <#7>", "title", 100) == "for <@42> and <#7>"  # escaped when shown
    assert clean_text("@everyone", "title", 100, typed=False) == "@everyone"  # derived: shown, not refused
    assert clean_text("  two\nlines\tand\x00 bell\x07 ", "title", 100) == "two lines and bell"
    assert clean_text("para one\n\npara two", "prompt", 100, multiline=True) == "para one\n\npara two"
    with pytest.raises(InputError, match="101 characters"):
        clean_text("x" * 101, "title", 100)
    with pytest.raises(InputError, match="empty"):
        clean_text(" \n ", "title", 100)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)//https://x",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.com/code.zip",
        "https://github.com@evil.example/x",
        "https://exa mple.com",
        "https:///nohost",
        "https://example.com:port/",
        "https://example.com/" + "a" * 600,
        "//example.com/x",
    ],
)
def test_only_plain_http_links_pass(url: str) -> None:
    with pytest.raises(InputError):
        check_link(url)


def test_good_links_pass() -> None:
    assert check_link(" HTTPS://github.com/me/tune?x=1#L3 ") == "https://github.com/me/tune?x=1#L3"
    assert check_link("http://example.com:8080/a") == "http://example.com:8080/a"


# --- starting, moderating ----------------------------------------------------------------------------


async def test_only_moderators_start_close_cancel_and_remove(
    conn: Database, service: ChallengeService
) -> None:
    await refused(conn, start(service, is_moderator=False), NotAllowed, "Manage Server or the Jazz mods role")
    challenge = await start(service)
    entry = await service.submit_link(GUILD, 1, "https://example.com/a", "Mine")
    await refused(conn, service.close(GUILD, is_moderator=False), NotAllowed, "close")
    await refused(conn, service.cancel(GUILD, is_moderator=False, reason="x"), NotAllowed, "cancel")
    await refused(
        conn, service.remove_entry(GUILD, 2, entry.id, is_moderator=False, reason="x"), NotAllowed, "remove"
    )
    assert (await service.challenge(GUILD)).phase == challenge.phase == "submissions"


async def test_start_refuses_bad_input_and_changes_nothing(conn: Database, service: ChallengeService) -> None:
    bad_starts: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"title": "@everyone WIN BIG"}, InputError, "cannot mention"),
        ({"title": "<@&55> <@&56>"}, InputError, "cannot mention"),
        ({"prompt": "ping @here now"}, InputError, "cannot mention"),
        ({"title": "x" * 101}, InputError, "at most 100"),
        ({"submit_by": "2020-01-01"}, InputError, "in the past"),
        ({"submit_by": "2036-01-01"}, InputError, "a year"),
        ({"vote_by": "3650d"}, InputError, "a year"),
        ({"max_votes": 0}, InputError, "between 1 and 25"),
        ({"max_votes": 26}, InputError, "between 1 and 25"),
    ]
    for options, error, match in bad_starts:
        await refused(conn, start(service, **options), error, match)
    assert await service.running(GUILD) is None


async def test_sql_in_a_title_is_just_text(conn: Database, service: ChallengeService) -> None:
    title = "Robert'); DROP TABLE challenges; --"
    challenge = await start(service, title=title, prompt="1; DELETE FROM votes")
    assert (await service.challenge(GUILD)).title == title == challenge.title
    assert [tuple(row) for row in await conn.fetch_all("SELECT title, prompt FROM challenges")] == [
        (title, "1; DELETE FROM votes")
    ]


async def test_start_sets_deadlines_and_refuses_a_second_running_challenge(
    conn: Database, service: ChallengeService
) -> None:
    challenge = await start(service, submit_by="36h", vote_by="90m", max_votes=5, hide_leaderboard=True)
    assert challenge.submission_deadline == (START + timedelta(hours=36)).timestamp()
    assert challenge.voting_deadline == (START + timedelta(hours=37, minutes=30)).timestamp()
    assert (challenge.max_votes, challenge.hide_leaderboard) == (5, True)
    assert await service.open_challenge(GUILD) == challenge
    assert await service.open_challenge(OTHER_GUILD) is None
    await refused(conn, start(service), ChallengeRefused, "still running")
    text = challenge_text(challenge, STYLE)
    assert "5 votes" in text and "hidden until the close" in text


# --- submissions ------------------------------------------------------------------------------------


async def test_file_submissions_are_checked_and_stored(
    conn: Database, service: ChallengeService, clock: Clock
) -> None:
    await start(service)
    midi = tiny_midi()
    for attempt, match in [
        (service.submit_file(GUILD, 1, "huge.mid", b"MThd" + bytes(50 * 2**20)), "50.0 MiB"),
        (
            service.submit_file(GUILD, 1, "fake.mid", b"<html>not midi</html>"),
            "damaged or not a standard MIDI file",
        ),
        (service.submit_file(GUILD, 1, "broken.mid", midi[:20]), "damaged|no notes"),
        (service.submit_file(GUILD, 1, "song.mp3", b"RIFF....WAVE"), "does not look like MP3"),
        (service.submit_file(GUILD, 1, "tool.exe", b"MZ"), "not a file challenges take"),
        (service.submit_file(GUILD, 1, "empty.ogg", b""), "empty"),
        (service.submit_file(GUILD, 1, "x.mid", midi, title="@here listen"), "cannot mention"),
    ]:
        await refused(conn, attempt, InputError, match)
        clock.advance(minutes=1)  # each scanned attempt counts against the member's rate limit

    entry = await service.submit_file(GUILD, 1, "../../My Tune!.mid", midi, note="first take")
    assert (entry.kind, entry.filename, entry.title, entry.note) == (
        "midi",
        "My_Tune_.mid",
        "My Tune!",
        "first take",
    )
    clock.advance(hours=1)
    replaced = await service.submit_file(GUILD, 1, "take2.ogg", b"OggS" + bytes(64), title="Take two")
    assert (replaced.id, replaced.kind, replaced.title) == (entry.id, "audio", "Take two")
    media = await service.entry_media(GUILD, entry.id)
    assert (media.filename, media.data) == ("take2.ogg", b"OggS" + bytes(64))


async def test_submissions_are_rate_limited_per_member_before_any_scan(
    conn: Database, service: ChallengeService, clock: Clock
) -> None:
    await start(service)
    for take in range(SUBMITS_PER_WINDOW):
        await service.submit_link(GUILD, 1, f"https://a.example/{take}")
    damaged = b"MThd" + bytes(1_900_000)  # would be scanned if admitted
    await refused(conn, service.submit_file(GUILD, 1, "x.mid", damaged), SubmissionRefused, "again in 60 s")
    await refused(conn, service.check_submission(GUILD, 1), SubmissionRefused, "Slow down")
    await service.submit_link(GUILD, 2, "https://b.example")  # another member is not held up
    clock.advance(seconds=SUBMIT_WINDOW)
    assert (
        await service.submit_link(GUILD, 1, "https://a.example/late")
    ).reference == "https://a.example/late"


async def test_link_and_clip_submissions(conn: Database, service: ChallengeService) -> None:
    await start(service)
    await add_clip(conn, 41, user_id=1, guild_id=GUILD)
    await add_clip(conn, 42, user_id=2, guild_id=GUILD)
    await add_clip(conn, 43, user_id=1, guild_id=OTHER_GUILD)
    await refused(conn, service.submit_link(GUILD, 1, "javascript:alert(1)"), InputError, "http")
    await refused(conn, service.submit_clip(GUILD, 1, 42), SubmissionRefused, "someone else")
    await refused(conn, service.submit_clip(GUILD, 1, 43), ClipNotFound, "no clip #43")

    link = await service.submit_link(GUILD, 3, "https://github.com/me/tune")
    clip = await service.submit_clip(GUILD, 1, 41, note="my best")
    assert (link.title, link.reference) == ("github.com", "https://github.com/me/tune")
    assert (clip.kind, clip.reference, clip.title) == ("clip", "41", "Clip #41: 16 bars of ballad in Bb")
    assert (await service.entry_media(GUILD, link.id)).link == "https://github.com/me/tune"
    played = await service.entry_media(GUILD, clip.id)
    assert played.filename == f"entry-{clip.id}-clip-41.ogg" and played.data == b"OggS" + bytes(100)
    assert [c.id for c in await service.own_clips(GUILD, 1)] == [41]


async def test_no_submissions_after_the_deadline_or_without_a_challenge(
    conn: Database, service: ChallengeService, clock: Clock
) -> None:
    await refused(conn, service.submit_link(GUILD, 1, "https://a.example"), SubmissionRefused, "No challenge")
    await start(service)
    await service.submit_link(GUILD, 1, "https://a.example", "Early")
    clock.now = SUBMIT_BY
    assert await service.open_challenge(GUILD) is None
    await refused(conn, service.submit_link(GUILD, 1, "https://b.example"), SubmissionRefused, "voting is on")
    await refused(conn, service.submit_file(GUILD, 2, "t.mid", tiny_midi()), SubmissionRefused, "closed")


# --- votes -------------------------------------------------------------------------------------------


async def voting(service: ChallengeService, clock: Clock, authors: range, **options: Any) -> list[int]:
    """Start a challenge, enter a link for each author (a minute apart), move on to its voting phase."""
    challenge = await start(service, **options)
    ids = []
    for author in authors:
        ids.append((await service.submit_link(GUILD, author, f"https://e.example/{author}", f"T{author}")).id)
        clock.advance(minutes=1)
    clock.at(challenge.submission_deadline)
    return ids


async def test_every_vote_rule_refuses_with_its_reason_and_changes_nothing(
    conn: Database, service: ChallengeService, clock: Clock
) -> None:
    entries = await voting(service, clock, range(1, 5), max_votes=2)
    old_account = clock() - 30 * 86400
    assert (await service.vote(GUILD, 50, entries[0], member_since=old_account)).votes_left == 1
    assert (await service.vote(GUILD, 50, entries[1])).votes_left == 0
    for attempt, reason in [
        (service.vote(GUILD, 2, entries[1]), VoteRefusal.SELF_VOTE),
        (service.vote(GUILD, 50, entries[0]), VoteRefusal.DOUBLE_VOTE),
        (service.vote(GUILD, 50, entries[2]), VoteRefusal.OVER_CAP),
        (service.vote(GUILD, 51, entries[2], member_since=clock() - 86400), VoteRefusal.TOO_NEW),
        (service.vote(OTHER_GUILD, 51, entries[2]), VoteRefusal.NOT_FOUND),
        (service.unvote(GUILD, 51, entries[2]), VoteRefusal.NOT_VOTED),
    ]:
        await refused(conn, attempt, VoteRefused, reason.value[:20])
    assert (await service.unvote(GUILD, 50, entries[0])).votes_left == 1
    votes = {standing.entry_id: standing.votes for standing in (await service.leaderboard(GUILD)).standings}
    assert (votes[entries[0]], votes[entries[1]]) == (0, 1)  # the vote taken back, the other kept

    clock.now = VOTE_BY
    await refused(conn, service.vote(GUILD, 52, entries[2]), VoteRefused, "not open")
    await refused(conn, service.unvote(GUILD, 50, entries[1]), VoteRefused, "not open")


async def test_no_votes_while_submissions_are_open(conn: Database, service: ChallengeService) -> None:
    await start(service)
    entry = await service.submit_link(GUILD, 1, "https://e.example")
    await refused(conn, service.vote(GUILD, 2, entry.id), VoteRefused, "not open")


async def test_leaderboard_is_live_or_hidden_until_close(service: ChallengeService, clock: Clock) -> None:
    entries = await voting(service, clock, range(1, 3), hide_leaderboard=True)
    await service.vote(GUILD, 50, entries[1])
    board = await service.leaderboard(GUILD)
    assert board.hidden and board.standings == []
    await service.close(GUILD, is_moderator=True)
    board = await service.leaderboard(GUILD)
    assert not board.hidden and [(s.entry_id, s.votes) for s in board.standings] == [
        (entries[1], 1),
        (entries[0], 0),
    ]


async def test_live_leaderboard_during_voting(service: ChallengeService, clock: Clock) -> None:
    entries = await voting(service, clock, range(1, 3))
    await service.vote(GUILD, 50, entries[1])
    board = await service.leaderboard(GUILD)
    assert not board.hidden and board.standings[0].entry_id == entries[1]


# --- ending --------------------------------------------------------------------------------------------


async def test_results_name_winner_and_runner_up_and_state_ties(
    service: ChallengeService, clock: Clock
) -> None:
    entries = await voting(service, clock, range(1, 5))
    for voter, picks in {50: [1, 2], 51: [1, 2], 52: [0, 3], 53: [2]}.items():
        for pick in picks:
            await service.vote(GUILD, voter, entries[pick])
    closed = await service.close(GUILD, is_moderator=True)
    results = await service.results(closed)
    assert results.winner is not None and results.runner_up is not None
    assert (results.winner.id, results.runner_up.id) == (entries[2], entries[1])
    assert (results.entries, results.votes, results.ties) == (4, 7, ())

    tied = await voting(service, clock, range(1, 4))  # submitted 1 min apart: 1, then 2, then 3
    for voter in (50, 51):
        for entry in tied:
            await service.vote(GUILD, voter, entry)
    results = await service.results(await service.close(GUILD, is_moderator=True))
    assert results.winner is not None and results.runner_up is not None
    assert (results.winner.author_id, results.runner_up.author_id) == (1, 2)
    text = results_text(results, STYLE)
    assert "“T1”, “T2”, “T3” tied on 2 votes; the earlier submission places higher." in text
    assert "🥇 Winner: **T1** by member1 — 2 votes" in text and "🥈 Runner-up: **T2** by member2" in text


async def test_runner_up_tie_is_stated_and_no_votes_means_no_winner(
    service: ChallengeService, clock: Clock
) -> None:
    entries = await voting(service, clock, range(1, 4))
    await service.vote(GUILD, 50, entries[2])
    await service.vote(GUILD, 51, entries[2])
    await service.vote(GUILD, 50, entries[0])
    await service.vote(GUILD, 52, entries[1])
    results = await service.results(await service.close(GUILD, is_moderator=True))
    assert results.runner_up is not None and results.runner_up.id == entries[0]
    assert results.ties == (Tie(("T1", "T2"), 0, 1),)
    assert "Tie: “T1”, “T2” tied on 1 vote; the earlier submission places higher." in results_text(
        results, STYLE
    )

    await voting(service, clock, range(1, 3))
    results = await service.results(await service.close(GUILD, is_moderator=True))
    assert results.winner is None and "no winner" in results_text(results, STYLE)


async def test_cancel_and_remove_entry_show_their_reasons(
    conn: Database, service: ChallengeService, clock: Clock
) -> None:
    entries = await voting(service, clock, range(1, 3))
    await refused(
        conn,
        service.remove_entry(GUILD, MOD, entries[0], is_moderator=True, reason="@everyone"),
        InputError,
        "mention",
    )
    removed = await service.remove_entry(
        GUILD, MOD, entries[0], is_moderator=True, reason="Not original work"
    )
    profile = await service.profile(GUILD, 1)
    assert profile.removed == [removed] and profile.entries == []
    assert "Your entry “T1” was removed by a moderator: Not original work" in profile_text(profile, STYLE)

    await refused(conn, service.cancel(GUILD, is_moderator=True, reason=""), InputError, "empty")
    cancelled = await service.cancel(GUILD, is_moderator=True, reason="The server is moving")
    assert cancelled.phase == "cancelled" and cancelled.cancel_reason == "The server is moving"
    assert "Cancelled: The server is moving" in challenge_text(cancelled, STYLE)
    await refused(conn, service.close(GUILD, is_moderator=True), ChallengeRefused, "No challenge is running")
    history = await service.history(GUILD)
    assert [h.challenge.phase for h in history] == ["cancelled"]


async def test_history_and_profile_count_wins(service: ChallengeService, clock: Clock) -> None:
    for round_number in range(2):
        entries = await voting(service, clock, range(1, 4), title=f"Round {round_number}")
        assert (
            await service.vote(GUILD, 50, entries[round_number])
        ).votes_left == 2  # caps are per challenge
        await service.vote(GUILD, 51, entries[round_number])
        await service.vote(GUILD, 50, entries[2])
        await service.close(GUILD, is_moderator=True)
    history = await service.history(GUILD)
    assert [(h.challenge.title, h.winner and h.winner.author_id) for h in history] == [
        ("Round 1", 2),
        ("Round 0", 1),
    ]
    profile = await service.profile(GUILD, 3)
    assert (profile.wins, profile.runner_ups, len(profile.entries)) == (0, 2, 2)
    assert (await service.profile(GUILD, 1)).wins == 1
    assert (await service.profile(OTHER_GUILD, 1)).entries == []


async def test_guilds_stay_apart(conn: Database, service: ChallengeService, clock: Clock) -> None:
    entries = await voting(service, clock, range(1, 3))
    with pytest.raises(InputError, match="No challenge has run"):
        await service.challenge(OTHER_GUILD)
    await refused(conn, service.close(OTHER_GUILD, is_moderator=True), ChallengeRefused, "No challenge")
    with pytest.raises(InputError):
        await service.entry_media(OTHER_GUILD, entries[0])
    with pytest.raises(conn.constraint_errors):  # and the schema backs that up
        await conn.execute("INSERT INTO votes VALUES (?, 1, ?, 1, 5, 0)", (OTHER_GUILD, entries[0]))
