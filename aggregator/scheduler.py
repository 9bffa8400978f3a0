"""The daemon: APScheduler runs each source on its own adaptive interval until SIGTERM/SIGINT.

This is the only module that imports APScheduler (the stable 3.x line). Each source is one job:
``max_instances=1`` so a source never runs twice at once, ``coalesce=True`` so runs missed
while the machine slept collapse into one, and random jitter so sources do not fire in lockstep.
After every run the job is moved to the next time the runner computed (adaptive interval,
backoff after errors). A stop signal lets the page being stored finish: each page is one
transaction, so no partial rows are left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from aggregator.runner import Runner

__all__ = ["serve"]

log = logging.getLogger("aggregator.scheduler")

# Seconds a run may start late (machine asleep, loop busy) before it is skipped for the next.
MISFIRE_GRACE = 300


async def serve(runner: Runner, *, jitter: float = 0.1, stop: asyncio.Event | None = None) -> None:
    """Run every enabled source on its schedule until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    _install_signal_handlers(stop)
    scheduler = AsyncIOScheduler(timezone=UTC)
    running: set[asyncio.Task[None]] = set()

    async def run_and_reschedule(name: str) -> None:
        # A coroutine job: APScheduler's asyncio executor runs it on this loop, not a thread.
        if stop.is_set():
            return
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        try:
            await runner.run_source(name)
        except Exception:  # a bug in one source's run must not stop the daemon
            log.exception("stage=scheduler source=%s error=unexpected", name)
        finally:
            if task is not None:
                running.discard(task)
        if not stop.is_set():
            _schedule(scheduler, name, runner.next_delay(name), jitter, run_and_reschedule)

    async def recheck() -> None:
        try:
            runner.recheck()
        except Exception:  # the re-check is an improvement, never a reason to stop
            log.exception("stage=recheck error=unexpected")

    scheduler.start()
    scheduler.add_job(
        recheck,
        "interval",
        minutes=runner.ingestor.settings.recheck_minutes,
        id="recheck",
        max_instances=1,
        coalesce=True,
    )
    for name in runner.sources():
        _schedule(scheduler, name, runner.next_delay(name), jitter, run_and_reschedule)
    log.info("stage=scheduler sources=%d started", len(runner.sources()))
    await stop.wait()
    scheduler.shutdown(wait=False)
    if running:
        await asyncio.wait(running)
    log.info("stage=scheduler stopped")


def _schedule(
    scheduler: AsyncIOScheduler,
    name: str,
    delay: float,
    jitter: float,
    job: Callable[[str], Awaitable[None]],
) -> None:
    # One-shot jobs moved after every run: the interval adapts, and runs missed while the
    # machine slept cannot pile up (there is only ever one pending run per source).
    delay += delay * random.uniform(0.0, jitter)
    when = datetime.now(UTC) + timedelta(seconds=delay)
    scheduler.add_job(
        job,
        DateTrigger(run_date=when),
        args=(name,),
        id=f"source:{name}",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE,
    )


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not possible outside the main thread or on some platforms; the caller's stop event
        # still works there.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
