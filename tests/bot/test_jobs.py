"""The job queue with the real studio (composer + FluidSynth + ffmpeg) behind a gate the test opens.

The gate is a seam in the maker, not in the queue: :class:`GatedStudio` makes real clips, but each job
first announces that a worker picked it up and then waits until the test lets it go, so "all workers
busy" is a state the test holds for as long as it likes. The queue's clock is a settable one, so
estimates and cooldowns are exact numbers, not timings.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator

import pytest

from bot.audio.clips import Clip
from bot.audio.encode import EncodeTimeout
from bot.audio.render import RenderTimeout
from bot.core.requests import JazzRequest
from bot.services.jobs import (
    STATES,
    Cooldown,
    JobFailed,
    JobQueue,
    JobTimedOut,
    Progress,
    QueueFull,
    UserLimit,
)
from bot.services.settings import Settings
from bot.services.studio import Studio
from model.compose import Composer
from model.errors import InputError

WAIT = 60.0  # a safety net against a hung test, never a measurement


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class GatedStudio:
    """The real studio, except every job waits for ``gate`` after telling ``picked_up`` it started."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.gate = threading.Event()
        self.picked_up = threading.Semaphore(0)
        self.fail_with: dict[int, BaseException] = {}  # seed -> what the job raises instead

    def make(self, request: JazzRequest, on_stage: Callable[[str], None]) -> Clip:
        self.picked_up.release()
        if not self.gate.wait(WAIT):
            raise TimeoutError("the test never opened the gate")
        if request.seed in self.fail_with:
            raise self.fail_with[request.seed]
        return self.studio.make(request, on_stage)

    async def wait_picked_up(self, count: int = 1) -> None:
        for _ in range(count):
            assert await asyncio.to_thread(self.picked_up.acquire, True, WAIT)


@pytest.fixture(scope="module")
def studio() -> Iterator[Studio]:
    studio = Studio(Composer.load(), Settings(max_upload_bytes=2 * 1024 * 1024))
    yield studio
    studio.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def small(seed: int) -> JazzRequest:
    return JazzRequest(bars=1, seed=seed, tempo=200)


class Recorder:
    """The progress a caller sees, in order."""

    def __init__(self) -> None:
        self.seen: list[Progress] = []

    async def __call__(self, progress: Progress) -> None:
        self.seen.append(progress)

    @property
    def positions(self) -> list[int | None]:
        return [p.position for p in self.seen if p.state == "queued"]

    @property
    def states(self) -> list[str]:
        return [p.state for p in self.seen]


def make_queue(
    studio: GatedStudio, clock: Clock, job_timeout: float | None = None, **overrides: float
) -> JobQueue[JazzRequest, Clip]:
    options = {"workers": 1, "queue_size": 4, "per_user_limit": 4, "cooldown_seconds": 0.0} | overrides
    return JobQueue(
        studio,
        workers=int(options["workers"]),
        queue_size=int(options["queue_size"]),
        per_user_limit=int(options["per_user_limit"]),
        cooldown_seconds=options["cooldown_seconds"],
        clock=clock,
        job_timeout=job_timeout,
    )


async def test_waiting_jobs_hear_their_position_then_the_stages(studio: Studio, clock: Clock) -> None:
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock)
    recorders = [Recorder() for _ in range(3)]
    first = asyncio.create_task(queue.run(1, small(1), recorders[0]))
    await gated.wait_picked_up()
    rest = [asyncio.create_task(queue.run(user, small(user), recorders[user - 1])) for user in (2, 3)]
    await asyncio.sleep(0)
    assert (queue.running, queue.waiting) == (1, 2)
    gated.gate.set()
    clips = await asyncio.wait_for(asyncio.gather(first, *rest), WAIT)
    await queue.close()

    assert [clip.piece.seed for clip in clips] == [1, 2, 3]
    assert recorders[0].positions == []
    assert recorders[1].positions == [1]
    assert recorders[2].positions == [2, 1]
    for recorder in recorders:
        # each state once, in order (a slow listener may miss a stage, never see one twice or late)
        states = [state for state in recorder.states if state != "queued"]
        assert states == sorted(set(states), key=STATES.index) and states[-1] == "done"
        assert len(states) >= 2


CALLER = contextvars.ContextVar[str]("caller", default="nobody")


async def test_progress_reaches_each_caller_in_its_own_context(studio: Studio, clock: Clock) -> None:
    """Adapters keep per-request state in context variables (discord.py: the interaction's webhook
    adapter); the stages come from worker threads, yet each callback must run in its caller's context."""
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock)
    seen: dict[str, set[str]] = {"alice": set(), "bob": set()}

    async def ask(user_id: int, name: str) -> Clip:
        CALLER.set(name)

        async def progress(update: Progress) -> None:
            seen[name].add(CALLER.get())

        return await queue.run(user_id, small(user_id), progress)

    alice = asyncio.create_task(ask(1, "alice"))  # starts at once: all its progress comes from the worker
    await gated.wait_picked_up()
    bob = asyncio.create_task(ask(2, "bob"))  # waits in line first
    gated.gate.set()
    await asyncio.wait_for(asyncio.gather(alice, bob), WAIT)
    await queue.close()

    assert seen == {"alice": {"alice"}, "bob": {"bob"}}


async def test_a_full_queue_refuses_with_an_estimate_from_recent_jobs(studio: Studio, clock: Clock) -> None:
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock, queue_size=1)
    running = asyncio.create_task(queue.run(1, small(1)))
    await gated.wait_picked_up()
    clock.now += 6.0  # the first job takes 6 s on the queue's clock
    gated.gate.set()
    await asyncio.wait_for(running, WAIT)

    gated.gate.clear()
    jobs = [asyncio.create_task(queue.run(user, small(user))) for user in (2, 3)]
    await gated.wait_picked_up()
    clock.now += 2.0  # 2 s into the running job: ~4 s left of the usual 6
    with pytest.raises(QueueFull) as refused:
        await queue.run(4, small(4))
    assert "queue is full" in str(refused.value)
    assert "busy, try again in ~4 s" in str(refused.value)
    assert refused.value.retry_after == pytest.approx(4.0)
    assert queue.estimate_wait() == pytest.approx(10.0)  # after the running job and the waiting one
    gated.gate.set()
    await asyncio.wait_for(asyncio.gather(*jobs), WAIT)
    await queue.close()


async def test_per_user_limit_and_cooldown_say_when_to_come_back(studio: Studio, clock: Clock) -> None:
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock, per_user_limit=1, cooldown_seconds=3.0)
    mine = asyncio.create_task(queue.run(7, small(1)))
    await gated.wait_picked_up()
    clock.now += 0.5
    with pytest.raises(UserLimit) as limited:
        await queue.run(7, small(2))
    assert str(limited.value) == "You already have a clip on the way: busy, try again in ~2 s."
    assert limited.value.retry_after == pytest.approx(1.5)  # 2 s default estimate, 0.5 s gone

    other = asyncio.create_task(queue.run(8, small(3)))  # other users are not held back
    await asyncio.sleep(0)
    assert queue.waiting == 1
    gated.gate.set()
    await asyncio.wait_for(asyncio.gather(mine, other), WAIT)

    clock.now += 1.0  # 1.5 s after user 7's request
    with pytest.raises(Cooldown) as cooling:
        await queue.run(7, small(4))
    assert str(cooling.value) == "Slow down: you can ask again in 2 s."
    assert cooling.value.retry_after == pytest.approx(1.5)
    clock.now += 1.5
    assert (await asyncio.wait_for(queue.run(7, small(4)), WAIT)).piece.seed == 4
    await queue.close()


async def test_a_job_that_raises_fails_alone_and_the_queue_serves_the_rest(
    studio: Studio, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    gated = GatedStudio(studio)
    gated.fail_with = {13: RuntimeError("synth on fire"), 14: InputError("that chart has no chords")}
    queue = make_queue(gated, clock, workers=2)
    caplog.set_level(logging.ERROR, logger="bot.services.jobs")
    gated.gate.set()
    results = await asyncio.wait_for(
        asyncio.gather(*(queue.run(seed, small(seed)) for seed in (12, 13, 14, 15)), return_exceptions=True),
        WAIT,
    )
    await queue.close()

    fine, bug, bad_input, after = results
    assert isinstance(fine, Clip) and isinstance(after, Clip)
    assert isinstance(bad_input, InputError) and str(bad_input) == "that chart has no chords"
    assert isinstance(bug, JobFailed) and not isinstance(bug, InputError)  # not the user's to fix
    assert f"something went wrong making that clip (request id `{bug.request_id}`)" in str(bug)
    assert "synth on fire" not in str(bug)
    logged = [r for r in caplog.records if bug.request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None and "synth on fire" in str(logged[0].exc_info[1])


async def test_a_render_or_encode_stopped_at_its_deadline_is_the_job_timing_out(
    studio: Studio, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Render and encode stop themselves at the job's deadline, the same moment the queue's own timer
    fires; whichever comes first, the member hears that the clip took too long (not a bug, not theirs)."""
    gated = GatedStudio(studio)
    gated.fail_with = {
        21: RenderTimeout("rendering passed its deadline after 3.0 s of audio"),
        22: EncodeTimeout("ffmpeg did not finish encoding within 1.5 s and was stopped."),
    }
    queue = make_queue(gated, clock, job_timeout=60.0)
    caplog.set_level(logging.ERROR, logger="bot.services.jobs")
    gated.gate.set()
    results = await asyncio.wait_for(
        asyncio.gather(*(queue.run(seed, small(seed)) for seed in (21, 22, 23)), return_exceptions=True),
        WAIT,
    )
    await queue.close()

    rendering, encoding, after = results
    for stopped in (rendering, encoding):
        assert isinstance(stopped, JobTimedOut) and not isinstance(stopped, InputError)
        assert "took longer than 60 s" in str(stopped) and stopped.request_id in str(stopped)
        logged = [r.getMessage() for r in caplog.records if stopped.request_id in r.getMessage()]
        assert logged and "timed out" in logged[0]
    assert isinstance(after, Clip)


async def test_a_cancelled_waiting_job_leaves_the_line(studio: Studio, clock: Clock) -> None:
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock)
    first = asyncio.create_task(queue.run(1, small(1)))
    await gated.wait_picked_up()
    recorder = Recorder()
    impatient = asyncio.create_task(queue.run(2, small(2)))
    last = asyncio.create_task(queue.run(3, small(3), recorder))
    await asyncio.sleep(0)
    impatient.cancel()
    await asyncio.gather(impatient, return_exceptions=True)
    assert queue.waiting == 1
    gated.gate.set()
    await asyncio.wait_for(asyncio.gather(first, last), WAIT)
    await queue.close()
    assert recorder.positions == [2, 1]


async def test_stuck_work_counts_in_the_wait_estimate_until_its_timeout(studio: Studio, clock: Clock) -> None:
    """A job running far past the usual duration is not a free worker soon: it holds its worker until the
    timeout stops it (issue 12: two hung jobs, and the estimate said 0 s)."""
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock, job_timeout=30.0)
    stuck = asyncio.create_task(queue.run(1, small(1)))
    await gated.wait_picked_up()
    clock.now += 1.0
    assert queue.estimate_wait() == pytest.approx(1.0)  # within the usual 2 s
    clock.now += 9.0
    assert queue.estimate_wait() == pytest.approx(20.0)  # 10 s in: until the 30 s timeout
    waiting = asyncio.create_task(queue.run(2, small(2)))
    await asyncio.sleep(0)
    assert queue.estimate_wait() == pytest.approx(22.0)  # and the waiting job's usual 2 s after it
    gated.gate.set()
    await asyncio.wait_for(asyncio.gather(stuck, waiting), WAIT)
    await queue.close()


async def test_a_job_past_its_timeout_is_stopped_and_its_caller_told_at_once(
    studio: Studio, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    gated = GatedStudio(studio)
    queue = make_queue(gated, clock, job_timeout=0.2)
    caplog.set_level(logging.ERROR, logger="bot.services.jobs")
    with pytest.raises(JobTimedOut) as stopped:
        await asyncio.wait_for(queue.run(1, small(1)), WAIT)
    assert "took longer than 0.2 s" in str(stopped.value) and stopped.value.request_id in str(stopped.value)
    assert any(
        stopped.value.request_id in r.getMessage() and "timed out" in r.getMessage() for r in caplog.records
    )
    assert queue.running == 1  # the worker is still busy until its thread returns ...
    gated.gate.set()  # ... which a stopped job does at its next stage report
    await until_idle(queue)
    assert queue.running == 0
    await queue.close()


async def until_idle(queue: JobQueue[JazzRequest, Clip]) -> None:
    async def poll() -> None:
        while queue.running or queue.waiting:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)
