"""Grading in worker processes with a time and memory budget: a worker that overruns is killed and replaced."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Mapping

from . import zygote
from .judge import Judge

# Workers fork from a server process that imported the grader and derived the manifest once (zygote):
# a killed worker's replacement starts warm in milliseconds, so an overrun costs its budget and little more.
WORKER_MODULES = ["generator.serve.judge", "generator.serve.zygote"]

TIME_BUDGET = 1.0  # CPU seconds for one answer (grading or preview) before its worker is killed; a few ms is usual
WALL_FACTOR = 10  # a worker starved of CPU by a loaded machine waits at most this many budgets of wall time
MEMORY_BUDGET = 2 << 30  # bytes of address space per worker
START_BUDGET = 120.0  # seconds for a worker to start and load the manifest
SLOW_AFTER = 0.1  # seconds after which an answer's worker gives way to the others (lowest CPU priority)
SLOW_AT_ONCE = 2  # slow answers finishing on the side, per worker slot; more wait in their slot
DERIVE_BUDGET = 120.0  # seconds for a worker to derive a variant it has not derived yet (trusted input)
DERIVED = "derived"  # what a worker says when the variant is ready and the answer's budget starts
TOO_SLOW = {"graded": True, "correct": False, "mistake": "other", "score": 0.0, "reading": "",
            "feedback": "Your answer took too long to read. Write it more simply."}
PREVIEW_TOO_SLOW = {"ok": False, "latex": "", "message": "this answer takes too long to read", "column": None}
CRASHED = {"graded": True, "correct": False, "mistake": "other", "score": 0.0, "reading": "",
           "feedback": "Your answer could not be read."}


def _work(conn: Connection, manifest: str, credit: Mapping[str, float] | None) -> None:
    """A worker's life: take the manifest, say ready, then answer requests until the pipe closes.

    The variants come derived from the fork server (zygote); one it lacks is derived when first asked for,
    outside the answer's budget.
    """
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BUDGET, MEMORY_BUDGET))
    judge = Judge(zygote.manifest_for(manifest), credit)
    conn.send("ready")
    while True:
        try:
            task, vid, answer = conn.recv()
        except (EOFError, OSError):
            return
        try:
            judge.manifest.derivation(vid)  # derived once per worker: trusted work, outside the answer's budget
        except Exception:  # noqa: BLE001 - the manifest was checked at start; the grading below reports any failure
            pass
        conn.send(DERIVED)
        try:
            result = judge.grade(vid, answer) if task == "grade" else judge.preview(vid, answer)
        except Exception:  # noqa: BLE001 - out of memory, or a bug: a verdict for this answer, the worker lives on
            result = CRASHED if task == "grade" else PREVIEW_TOO_SLOW
        conn.send(result)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process `pid` has used, from /proc; None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)
    except (OSError, ValueError, IndexError):
        return None


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: Any, manifest: str, credit: Mapping[str, float] | None):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, manifest, credit), daemon=True)
        self.process.start()
        child.close()

    async def receive(self, timeout: float) -> Any:
        """The next message from the worker, or TimeoutError / EOFError."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(fd)
        return self.conn.recv()

    def kill(self) -> None:
        """End the worker process and close its pipe."""
        self.process.kill()
        self.process.join()
        self.conn.close()


class GradingPool:
    """A few worker processes fed from one queue; every request gets an answer within the time budget."""

    def __init__(self, manifest: Path, size: int, credit: Mapping[str, float] | None = None,
                 budget: float = TIME_BUDGET):
        self.manifest, self.size, self.credit, self.budget = str(manifest), max(1, size), credit, budget
        self.queue: asyncio.Queue[tuple[str, str, str, asyncio.Future]] = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.workers: list[_Worker | None] = []
        self.restarts = 0  # workers replaced after an overrun or a crash
        self.slow: set[asyncio.Task] = set()  # slow answers finishing on the side

    async def start(self) -> None:
        """Start the workers and wait until each has derived the manifest's variants."""
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # workers share two cores with the web server
        os.environ[zygote.VARIABLE] = self.manifest  # read by the fork server when it starts (once per process)
        self.workers = [None] * self.size
        await asyncio.gather(*(self._spawn(k) for k in range(self.size)))
        self.tasks = [asyncio.create_task(self._serve(k)) for k in range(self.size)]

    async def _spawn(self, k: int) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(WORKER_MODULES)
        # Starting a process waits for the fork server to fork: in a thread, so the event loop goes on meanwhile.
        worker = await asyncio.to_thread(_Worker, context, self.manifest, self.credit)
        try:
            message = await worker.receive(START_BUDGET)
        except (TimeoutError, EOFError, OSError):
            worker.kill()
            raise RuntimeError(f"a grading worker did not start within {START_BUDGET:.0f} s") from None
        assert message == "ready"
        self.workers[k] = worker

    async def _serve(self, k: int) -> None:
        while True:
            task, vid, answer, done = await self.queue.get()
            if done.cancelled():
                continue
            worker = self.workers[k]
            if worker is None or not worker.process.is_alive():  # died while idle: not this answer's doing
                if worker is not None:
                    worker.kill()
                await self._spawn(k)
                worker = self.workers[k]
                assert worker is not None
            try:
                worker.conn.send((task, vid, answer))
                if await worker.receive(DERIVE_BUDGET) != DERIVED:
                    raise EOFError("the worker broke the protocol")
                started = cpu_seconds(worker.process.pid)  # the answer's budget starts now
                result = await worker.receive(min(SLOW_AFTER, self.budget))
            except TimeoutError:
                # A slow answer finishes (or overruns) on the side, on leftover CPU; this slot forks a fresh
                # worker at once, so the answers behind it do not wait.
                self.workers[k] = None
                if len(self.slow) < SLOW_AT_ONCE * self.size:
                    finishing = asyncio.create_task(self._finish_slow(worker, task, done, started))
                    self.slow.add(finishing)
                    finishing.add_done_callback(self.slow.discard)
                else:
                    await self._finish_slow(worker, task, done, started)
                await self._spawn(k)
                continue
            except (EOFError, OSError):  # the answer killed the worker: a verdict for it, a fresh worker for the rest
                result = CRASHED if task == "grade" else PREVIEW_TOO_SLOW
                self.restarts += 1
                worker.kill()
                self.workers[k] = None
                await self._spawn(k)
            if not done.done():
                done.set_result(result)

    async def _finish_slow(self, worker: _Worker, task: str, done: asyncio.Future, started: float | None) -> None:
        """Let a slow answer finish at the lowest CPU priority within its budget, then end its worker.

        The budget is the CPU time the answer's worker spends, not the time on the clock: on a loaded machine
        the lowest priority may get little CPU, and an answer that is within budget still gets its verdict
        (waiting at most WALL_FACTOR budgets); where CPU time cannot be read, the clock decides.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WALL_FACTOR * self.budget
        try:
            os.setpriority(os.PRIO_PROCESS, worker.process.pid, 19)
            wait = self.budget - SLOW_AFTER
            while True:
                try:
                    result = await worker.receive(max(0.0, wait))
                    break
                except TimeoutError:
                    now = cpu_seconds(worker.process.pid)
                    spent = self.budget if now is None or started is None else now - started
                    wait = min(self.budget - spent, deadline - loop.time())
                    if wait <= 0:
                        raise
        except (TimeoutError, EOFError, OSError):
            result = (TOO_SLOW if worker.process.is_alive() else CRASHED) if task == "grade" else PREVIEW_TOO_SLOW
            self.restarts += 1
        finally:
            await asyncio.to_thread(worker.kill)  # (a thread: reaping waits) its priority cannot be raised again
        if not done.done():
            done.set_result(result)

    async def run(self, task: str, vid: str, answer: str) -> dict[str, Any]:
        """Grade ("grade") or preview ("preview") one answer to variant `vid`."""
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        await self.queue.put((task, vid, answer, done))
        return await done

    async def stop(self) -> None:
        """Stop the workers."""
        for task in [*self.tasks, *self.slow]:
            task.cancel()
        await asyncio.gather(*self.tasks, *self.slow, return_exceptions=True)
        for worker in self.workers:
            if worker is not None:
                worker.kill()
        self.workers, self.tasks = [], []
