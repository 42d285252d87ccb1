"""The worker tier's shared state in Redis: key names, the wire format, and the atomic steps (Lua).

The bot processes (:mod:`bot.services.remote_jobs`) and the ``python -m bot.worker`` processes share
these keys; arq (the job queue library) owns its own ``arq:*`` keys. Every step that reads and then
writes runs as one Lua script, so two bot processes admitting at once can never both take a user's last
slot or the queue's last place.

- ``jazzbot:user:<id>``   sorted set: the user's jobs in flight (score: admission time, ms)
- ``jazzbot:cool:<id>``   present while the user's cooldown lasts (PX)
- ``jazzbot:waiting``     sorted set: admitted jobs no worker has started (score: admission time, ms;
                          a job's 1-based rank is its queue position)
- ``jazzbot:running``     sorted set: jobs a worker is making (score: start time, ms)
- ``jazzbot:workers``     sorted set: live worker processes (score: last heartbeat, ms)
- ``jazzbot:durations``   list: the newest :data:`RECENT_JOBS` job durations (ms), for estimates
- ``jazzbot:clip:<job>``  the finished clip (:mod:`bot.services.clip_codec`), kept
                          :data:`TOKEN_LIFE_MS`, or :data:`CLIP_READ_MS` once its bot has read it;
                          written once (``SET NX``), which makes a job idempotent
- ``jazzbot:notice:<job>`` why a job ended without a clip (expired, refused, failed), kept a day
- ``jazzbot:events:<bot>`` stream: one bot process's job events (stage, done, failed, ...); it expires
                          a while after its last job ended, so a bot that is gone leaves nothing behind

Entries older than :data:`STALE_MS` are pruned on every admission, so a bot that died with jobs in
flight cannot hold its users' slots for ever.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix
from redis.asyncio import Redis

PREFIX = "jazzbot:"
WAITING = PREFIX + "waiting"
RUNNING = PREFIX + "running"
WORKERS = PREFIX + "workers"
DURATIONS = PREFIX + "durations"
ARQ_QUEUE = default_queue_name  # arq's queue: the job ids in line, scored by enqueue time (ms)
ARQ_JOB = job_key_prefix  # + job id: the job arq will run
ARQ_IN_PROGRESS = in_progress_key_prefix  # + job id: a worker is running it
FUNCTION = "make_clip"  # the worker's job function (bot.worker.clip_job)

TOKEN_LIFE_MS = 15 * 60 * 1000
"""A Discord interaction token lasts 15 minutes: a job older than that is dropped with a notice."""
STALE_MS = TOKEN_LIFE_MS + 5 * 60 * 1000
"""Admission entries older than this are pruned (their bot is gone or gave up long ago)."""
CLIP_READ_MS = 60_000
"""Once its bot has read a clip (and stores it in its own database), Redis keeps it only this long: at
~0.3 MiB a clip, keeping every clip the full token life would hold 15 minutes of clips in memory."""
HEARTBEAT_MS = 2000
"""Workers stamp ``jazzbot:workers`` this often; one unheard of for :data:`WORKER_LOST_MS` is gone."""
WORKER_LOST_MS = 10_000
NOTICE_MS = 24 * 3600 * 1000
RECENT_JOBS = 20
DEFAULT_JOB_MS = 2000
EVENTS_MAXLEN = 10_000


def user_key(user_id: int) -> str:
    return f"{PREFIX}user:{user_id}"


def cooldown_key(user_id: int) -> str:
    return f"{PREFIX}cool:{user_id}"


def clip_key(job_id: str) -> str:
    return f"{PREFIX}clip:{job_id}"


def notice_key(job_id: str) -> str:
    return f"{PREFIX}notice:{job_id}"


def events_key(bot_id: str) -> str:
    return f"{PREFIX}events:{bot_id}"


@dataclass(frozen=True)
class JobPayload:
    """What a bot sends a worker, as JSON: the request (``JazzRequest.to_dict``), the model version the
    bot composes with, where to send events, who asked, when it was admitted and its deadline (Unix ms)."""

    request: dict[str, object]
    model: str
    reply_to: str
    user_id: int
    admitted_ms: int
    deadline_ms: int  # past this (the interaction token's end) the job is dropped with a notice

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> JobPayload:
        data = json.loads(text)
        return cls(
            request=dict(data["request"]),
            model=str(data["model"]),
            reply_to=str(data["reply_to"]),
            user_id=int(data["user_id"]),
            admitted_ms=int(data["admitted_ms"]),
            deadline_ms=int(data["deadline_ms"]),
        )


# KEYS: user, cooldown, waiting, running, workers, durations
# ARGV: job, now ms, per-user limit, cooldown ms, queue size, limited (1) or the bot's own work (0),
#       stale ms, worker lost ms, default job ms
# Returns {verdict, value}: {"ok", position}, {"user" | "cooldown" | "full", retry after ms}.
ADMIT = """
local now = tonumber(ARGV[2])
local stale = now - tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stale)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', stale)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', stale)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[8]))
local mean = tonumber(ARGV[9])
local recent = redis.call('LRANGE', KEYS[6], 0, -1)
if #recent > 0 then
  local total = 0
  for _, ms in ipairs(recent) do total = total + tonumber(ms) end
  mean = total / #recent
end
local workers = redis.call('ZCARD', KEYS[5])
if ARGV[6] == '1' then
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return {'user', math.floor(mean)}
  end
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then
    return {'cooldown', ttl}
  end
end
local waiting = redis.call('ZCARD', KEYS[3])
local idle = math.max(workers - redis.call('ZCARD', KEYS[4]), 0)
if waiting >= tonumber(ARGV[5]) + idle then
  return {'full', math.floor(mean * (waiting - idle + 1) / math.max(workers, 1))}
end
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  if tonumber(ARGV[4]) > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  end
end
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {'ok', waiting + 1}
"""

# KEYS: waiting, running; ARGV: job, now ms. A worker starts the job: out of line, running.
START = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: clip, running, durations, events; ARGV: job, clip bytes, keep ms, duration ms, max durations.
# Stores the clip once and announces it once: a second try of the same job (its first worker died after
# storing) finds the clip stored and announces nothing new. Returns 1 when this call stored it.
FINISH = """
redis.call('ZREM', KEYS[2], ARGV[1])
if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return 0
end
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'job', ARGV[1], 'kind', 'done', 'text', '')
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 1
"""

# KEYS: clip, notice, running, events; ARGV: job, kind, text, keep ms, max events.
# The job ends without a clip (expired, refused, failed): the notice is stored and announced, unless an
# earlier try already stored the clip (then the clip stands). Returns 1 when announced.
NOTICE = """
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2] .. ': ' .. ARGV[3], 'PX', ARGV[4])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'job', ARGV[1], 'kind', ARGV[2], 'text', ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
return 1
"""

# KEYS: user, waiting, running, arq's queue, arq's job, arq's in-progress mark; ARGV: job.
# The bot is done with the job (posted, failed, gave up, cancelled): a job no worker has started leaves
# arq's queue too, so no worker makes a clip no one waits for. Returns {jobs waiting, jobs running}.
RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[6]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('DEL', KEYS[5])
end
return {redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
"""


async def live_workers(redis: Redis, now_ms: int) -> int:
    """How many worker processes have stamped their heartbeat within :data:`WORKER_LOST_MS`."""
    return int(await redis.zcount(WORKERS, now_ms - WORKER_LOST_MS, "+inf"))
