"""The daemon: the roles this process runs, each in a loop of its own, until SIGTERM/SIGINT.

This is the only module that imports APScheduler (the stable 3.x line), which runs the periodic
jobs: lease renewal (a third of ``schedule.lease_seconds``), the story re-check (every
``cluster.recheck_minutes``) and the daily retention prune. The work itself comes from the
database: due sources, pending pages and articles without a story are claimed by the role
loops, which wake on new work (LISTEN/NOTIFY on PostgreSQL) or poll with backoff. A stop
signal ends fetching and extraction after the unit in hand (each page is one transaction),
then the story stage assigns what is pending and gives its role up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from aggregator.runner import Runner
from aggregator.store.work import ARTICLES, PAGES
from aggregator.work.stories import StoryWorker
from aggregator.work.wake import Backoff

__all__ = ["serve"]

log = logging.getLogger("aggregator.scheduler")

#: Seconds a stopping daemon lets running source cycles finish before cancelling them.
STOP_GRACE = 10.0
#: Least seconds between two full re-checks the story stage runs when it has caught up: a
#: steady trickle of articles would otherwise re-check the whole window after each one.
SETTLE_SECONDS = 5.0
#: Minutes after start of the first look at the retention prune: not in the busy first
#: cycle, but soon enough that a daemon restarted often still prunes.
PRUNE_FIRST_MINUTES = 10.0


async def serve(runner: Runner, *, stop: asyncio.Event | None = None) -> None:
    """Run the runner's roles until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    _install_signal_handlers(stop)
    loop = asyncio.get_running_loop()
    # From the renewal job's thread too, hence thread-safe.
    runner.on_fatal = lambda: loop.call_soon_threadsafe(stop.set)
    recheck_due = asyncio.Event()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    scheduler.add_job(
        _renew,
        "interval",
        args=(runner,),
        seconds=max(1.0, runner.options.lease_seconds / 3),
        id="renew",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        recheck_due.set,
        "interval",
        minutes=runner.options.cluster.recheck_minutes,
        id="recheck",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        _prune,
        "interval",
        args=(runner,),
        hours=1,  # each look is cheap; the job:prune lease makes the prune itself daily
        next_run_time=datetime.now(UTC) + timedelta(minutes=PRUNE_FIRST_MINUTES),
        id="prune",
        max_instances=1,
        coalesce=True,
    )
    log.info("stage=scheduler roles=%s holder=%s started", ",".join(runner.roles), runner.holder)
    producers = []
    if runner.fetcher is not None:
        producers.append(asyncio.create_task(_fetch_loop(runner, stop)))
    if runner.extractor is not None:
        producers.append(asyncio.create_task(_extract_loop(runner, stop)))
    producers_done = asyncio.Event()
    stories = None
    if runner.stories is not None:
        stories = asyncio.create_task(_stories_loop(runner, producers_done, recheck_due))
    await stop.wait()
    scheduler.shutdown(wait=False)
    await asyncio.gather(*producers)
    producers_done.set()
    if stories is not None:
        await stories
    log.info("stage=scheduler stopped")


def _renew(runner: Runner) -> None:
    try:
        runner.renew()
    except Exception as exc:  # the database may be away; the next renewal tries again
        runner.report("renew", exc)


async def _prune(runner: Runner) -> None:
    try:
        await runner.prune()
    except Exception as exc:  # the next hourly look tries again
        runner.report("prune", exc)


async def _fetch_loop(runner: Runner, stop: asyncio.Event) -> None:
    assert runner.fetcher is not None
    fetcher = runner.fetcher
    running: set[asyncio.Task[object]] = set()
    backoff = Backoff(runner.options.poll_seconds)
    while not stop.is_set():
        free = fetcher.at_once - len(running)
        claimed = (
            await runner.guarded("fetch", _claim(runner, free), [], fetcher.session)
            if free > 0
            else []
        )
        for source_id, name in claimed:
            running.add(asyncio.create_task(fetcher.run_source(source_id, name)))
        pause = backoff.found(bool(claimed))
        if not claimed:
            due = await runner.guarded(
                "fetch", _next_due(runner), runner.options.poll_seconds, fetcher.session
            )
            pause = min(max(pause, 0.05), due + 0.05, runner.options.poll_seconds)
        running = await _wait_some(runner, running, stop, pause)
    if running:
        done, pending = await asyncio.wait(running, timeout=STOP_GRACE)
        _report_failures(runner, done)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _claim(runner: Runner, free: int) -> list[tuple[int, str]]:
    assert runner.fetcher is not None
    return runner.fetcher.claim(free)


async def _next_due(runner: Runner) -> float:
    assert runner.fetcher is not None
    return runner.fetcher.next_due()


async def _wait_some(
    runner: Runner, running: set[asyncio.Task[object]], stop: asyncio.Event, pause: float
) -> set[asyncio.Task[object]]:
    """Wait until a cycle ends, a stop, or ``pause`` seconds; return the cycles still running."""
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({*running, stopping}, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    _report_failures(runner, {t for t in running if t.done()})
    return {t for t in running if not t.done()}


def _report_failures(runner: Runner, done: set[asyncio.Task[object]]) -> None:
    for task in done:
        if not task.cancelled() and (failure := task.exception()) is not None:
            runner.report("fetch", failure)


async def _extract_loop(runner: Runner, stop: asyncio.Event) -> None:
    assert runner.extractor is not None
    backoff = Backoff(runner.options.poll_seconds)
    while not stop.is_set():
        extractor = runner.extractor
        handled = await runner.guarded("extract", extractor.step(), 0, extractor.session)
        await runner.wakeup.wait(PAGES, backoff.found(bool(handled)))


async def _stories_loop(
    runner: Runner, producers_done: asyncio.Event, recheck_due: asyncio.Event
) -> None:
    assert runner.stories is not None
    stories = runner.stories
    backoff = Backoff(runner.options.poll_seconds)
    settled = 0.0
    while not producers_done.is_set():
        leading = await runner.guarded("stories", runner.in_story_thread(stories.lead), False)
        handled = 0
        if leading:
            handled = await runner.guarded("stories", runner.in_story_thread(stories.step), 0)
        if leading and recheck_due.is_set():
            recheck_due.clear()
            await runner.guarded("recheck", runner.in_story_thread(stories.recheck), 0)
        if leading and not handled and time.monotonic() - settled > SETTLE_SECONDS:
            # Caught up: re-check what was assigned, as a one-shot run does at its end.
            await runner.guarded("recheck", runner.in_story_thread(stories.settle), 0)
            settled = time.monotonic()
        pause = backoff.found(bool(handled)) if leading else runner.options.poll_seconds
        await _either(runner.wakeup.wait(ARTICLES, pause), producers_done)
    # What this process's extractors stored is given its stories before it stops, if the role
    # is (still or again) ours: a database error may have made the worker drop it a moment ago.
    for _attempt in range(3):
        if not await runner.guarded("stories", runner.in_story_thread(stories.lead), False):
            break
        if await runner.guarded("stories", runner.in_story_thread(_finish(stories)), False):
            break


async def _either(wait: Awaitable[None], event: asyncio.Event) -> None:
    tasks = {asyncio.ensure_future(wait), asyncio.create_task(event.wait())}
    _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not possible outside the main thread or on some platforms; the caller's stop event
        # still works there.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def _finish(stories: StoryWorker) -> Callable[[], bool]:
    def finish() -> bool:
        stories.drain()
        stories.settle()
        return True

    return finish
