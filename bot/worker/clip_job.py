"""The job a worker process runs: a request from a bot in, a stored clip (or a stored notice) out.

:class:`ClipMaker` holds what the process loaded once (the composer's :class:`~bot.services.studio.Studio`
with its synths, and the model version) and makes one clip per job on its own thread, so the worker's
event loop keeps polling Redis and sending progress. Every job ends by telling its bot exactly once
(the atomic steps in :mod:`bot.services.queue_state`):

- its clip is stored (``SET NX``) and ``done`` is announced; a second try of a job whose clip an earlier
  try already stored announces nothing, so a clip is never posted twice;
- or a notice is stored and announced: ``refused`` (the bot composes with another model version: logged
  here at ERROR with both versions), ``expired`` (past its deadline, the interaction token's life:
  dropped, never made late), ``lost`` (tried :data:`MAX_TRIES` times: workers kept dying on it),
  ``input`` (the member's request cannot be made; the text says why) or ``error`` (a bug or a server
  fault, logged here with the request id).

A worker that dies mid-job leaves arq's in-progress mark to expire; another worker (or this one,
restarted) then runs the job again (arq's ack-late behaviour, counted in ``job_try``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arq.connections import ArqRedis

from bot.audio.clips import Clip
from bot.core.failures import DeadlinePassed
from bot.core.requests import JazzRequest
from bot.services import queue_state as state
from bot.services.clip_codec import dump_clip
from bot.services.studio import Studio
from model.errors import InputError

log = logging.getLogger(__name__)

MAX_TRIES = 3
"""Runs of one job before it is given up (arq's own limit is set above, so this job always reports)."""


class ClipMaker:
    """Makes clips for the bots' jobs on ``threads`` threads (one per job the worker runs at once)."""

    def __init__(self, redis: ArqRedis, studio: Studio, model: str, threads: int = 1) -> None:
        self._redis = redis
        self._studio = studio
        self.model = model
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="clip-maker")
        self._start = redis.register_script(state.START)
        self._finish = redis.register_script(state.FINISH)
        self._notice = redis.register_script(state.NOTICE)

    async def run(self, job_id: str, job_try: int, payload_json: str) -> str:
        """Make job ``job_id``'s clip, or store why not; returns what happened (arq keeps it a while).
        A notice is stored before its log line, so whoever sees the line finds the notice."""
        payload = state.JobPayload.from_json(payload_json)
        if await self._redis.exists(state.clip_key(job_id)):
            log.info("request %s: made by an earlier try already", job_id)
            return "made before"
        if time.time() * 1000 > payload.deadline_ms:
            told = await self._tell(job_id, payload, "expired", "waited past the interaction's life")
            log.warning("request %s: past its deadline before it started; dropped", job_id)
            return told
        if payload.model != self.model:
            told = await self._tell(job_id, payload, "refused", "model version differs")
            log.error(
                "request %s refused: the bot asked for model %r, this worker runs %r; "
                "run workers and bots built from the same model",
                job_id, payload.model, self.model,
            )  # fmt: skip
            return told
        if job_try > MAX_TRIES:
            told = await self._tell(job_id, payload, "lost", f"{job_try - 1} tries")
            log.error("request %s given up: %d tries, workers died making it", job_id, job_try - 1)
            return told
        await self._start(keys=[state.WAITING, state.RUNNING], args=[job_id, round(time.time() * 1000)])
        started = time.perf_counter()
        events = _StagePump(self._redis, payload.reply_to, job_id)
        try:
            request = JazzRequest.from_dict(payload.request)
            loop = asyncio.get_running_loop()
            clip: Clip = await loop.run_in_executor(
                self._executor, self._studio.make, request, events.threadsafe(loop)
            )
        except DeadlinePassed as error:  # before InputError: an encode timeout is both, and not the member's
            await events.close()
            log.error("request %s timed out: %s (a job of user %s)", job_id, error, payload.user_id)
            return await self._tell(job_id, payload, "timeout", f"{self._studio.job_timeout:g}")
        except InputError as error:
            await events.close()
            return await self._tell(job_id, payload, "input", str(error))
        except Exception:
            await events.close()
            log.exception("request %s failed (a job of user %s)", job_id, payload.user_id)
            return await self._tell(job_id, payload, "error", "")
        except BaseException:  # cancelled (the worker stops): the job goes back in line
            events.cancel()
            raise
        await events.close()
        stored = await self._finish(
            keys=[state.clip_key(job_id), state.RUNNING, state.DURATIONS, payload.reply_to],
            args=[
                job_id,
                dump_clip(clip),
                state.TOKEN_LIFE_MS,
                round((time.perf_counter() - started) * 1000),
                state.RECENT_JOBS,
                state.EVENTS_MAXLEN,
            ],
        )
        return "made" if stored else "made again, not announced"

    async def _tell(self, job_id: str, payload: state.JobPayload, kind: str, text: str) -> str:
        await self._notice(
            keys=[state.clip_key(job_id), state.notice_key(job_id), state.RUNNING, payload.reply_to],
            args=[job_id, kind, text, state.NOTICE_MS, state.EVENTS_MAXLEN],
        )
        return kind

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._studio.close()


class _StagePump:
    """Sends the stages the maker's thread reports to the bot's event stream, in order, from the loop;
    each with the moment it was reported (``at``, Unix seconds: where latency is measured)."""

    def __init__(self, redis: ArqRedis, stream: str, job_id: str) -> None:
        self._redis = redis
        self._stream = stream
        self._job_id = job_id
        self._stages: asyncio.Queue[tuple[str, float] | None] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._pump())

    def threadsafe(self, loop: asyncio.AbstractEventLoop) -> Callable[[str], None]:
        def on_stage(stage: str) -> None:  # on the maker's thread
            loop.call_soon_threadsafe(self._stages.put_nowait, (stage, time.time()))

        return on_stage

    async def _pump(self) -> None:
        while (report := await self._stages.get()) is not None:
            stage, at = report
            try:
                await self._redis.xadd(
                    self._stream,
                    {"job": self._job_id, "kind": "stage", "text": stage, "at": f"{at:.6f}"},
                    maxlen=state.EVENTS_MAXLEN,
                    approximate=True,
                )
            except Exception:  # progress is a courtesy: a lost update must not fail the clip
                log.warning("request %s: progress %r not sent", self._job_id, stage, exc_info=True)

    def cancel(self) -> None:
        self._task.cancel()

    async def close(self) -> None:
        """Send what is queued, then stop."""
        self._stages.put_nowait(None)
        await self._task


async def make_clip(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> str:
    """arq's job function :data:`~bot.services.queue_state.FUNCTION`: the worker's ``ctx["maker"]`` makes
    the job's clip (its one argument is the :class:`~bot.services.queue_state.JobPayload` as JSON)."""
    (payload_json,) = args
    maker: ClipMaker = ctx["maker"]
    return await maker.run(str(ctx["job_id"]), int(ctx["job_try"]), str(payload_json))
