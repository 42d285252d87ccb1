"""``JAZZBOT_SHARDS``: the forms it accepts, the errors naming it, and which servers a process owns."""

from __future__ import annotations

import pytest

from bot.services.settings import SettingsError, load_settings
from bot.services.shard_plan import ShardPlan, ShardPlanError, parse_shard_plan


@pytest.mark.parametrize(
    ("raw", "ids", "count", "shown"),
    [
        ("0-3/16", (0, 1, 2, 3), 16, "0-3/16"),
        ("0,2/4", (0, 2), 4, "0,2/4"),
        ("5/8", (5,), 8, "5/8"),
        (" 12-15, 3 / 16 ", (3, 12, 13, 14, 15), 16, "3,12-15/16"),
        ("0/1", (0,), 1, "0/1"),
    ],
)
def test_accepted_forms(raw: str, ids: tuple[int, ...], count: int, shown: str) -> None:
    plan = load_settings({"JAZZBOT_SHARDS": raw}, env_file=None).shards
    assert plan == ShardPlan(ids, count)
    assert plan.describe() == shown
    assert parse_shard_plan("X", plan.describe()) == plan


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("0-3", "must be shard ids, a slash and the shard count, like 0-3/16"),
        ("16", "must be shard ids, a slash and the shard count"),
        ("a-b/4", "must be shard ids, a slash and the shard count"),
        ("0-3/0", "the shard count after the slash must be 1 to 65536"),
        ("4/4", "shard ids run from 0 to 3 when there are 4 shards"),
        ("0-4/4", "shard ids run from 0 to 3 when there are 4 shards"),
        ("3-1/4", "the range 3-1 runs backwards; write 1-3"),
        ("0,0/2", "a shard id is listed twice"),
        ("0-1,1/2", "a shard id is listed twice"),
        ("0,,1/2", "'' is not a shard id or a range"),
        ("0-/2", "'0-' is not a shard id or a range"),
    ],
)
def test_malformed_values_stop_the_start_naming_the_setting(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"JAZZBOT_SHARDS": raw}, env_file=None)
    assert str(caught.value).startswith(f"JAZZBOT_SHARDS={raw!r}: ")
    assert says in str(caught.value)


def test_unset_means_every_shard_in_this_process() -> None:
    assert load_settings({}, env_file=None).shards is None


def test_a_server_belongs_to_the_shard_discord_sends_it_to() -> None:
    plan = ShardPlan((0, 1), 4)
    guild_on_shard = {shard: ((1000 + shard) << 22) + 12345 for shard in range(4)}  # (id >> 22) % 4
    assert [plan.shard_of(guild_on_shard[shard]) for shard in range(4)] == [0, 1, 2, 3]
    assert [plan.owns(guild_on_shard[shard]) for shard in range(4)] == [True, True, False, False]
    assert plan.owns(None) and not ShardPlan((2, 3), 4).owns(None)  # direct messages: shard 0


def test_only_the_process_with_shard_0_does_global_work() -> None:
    assert ShardPlan((0, 1), 4).global_work
    assert not ShardPlan((2, 3), 4).global_work


def test_processes_started_together_identify_one_shard_every_5_seconds() -> None:
    assert ShardPlan((0, 1, 2, 3), 16).first_identify_delay() == 0.0
    assert ShardPlan((4, 5, 6, 7), 16).first_identify_delay() == 20.0  # after shards 0-3 at 0, 5, 10, 15 s


def test_a_plan_cannot_be_built_inconsistent() -> None:
    with pytest.raises(ShardPlanError):
        ShardPlan((1, 0), 2)
    with pytest.raises(ShardPlanError):
        ShardPlan((), 2)
    with pytest.raises(ShardPlanError):
        ShardPlan((2,), 2)
