"""Grading workers: an answer that overruns its time budget gets a verdict, its worker is replaced, others go on."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from generator.grading.manifest import Manifest
from generator.serve.pool import TOO_SLOW, GradingPool, cpu_seconds
from servekit import build_manifest


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-variant manifest of problems/sheets."""
    return build_manifest(tmp_path_factory.mktemp("pool") / "sheet", variants=1)


@pytest.mark.parametrize("task,answer", [
    ("grade", " + ".join(["u^T M u"] * 190)),  # ~2,000 characters: far more work than the tiny budget allows
    ("preview", " ".join(["(M + M^T)"] * 200)),
])
def test_an_overrun_is_a_verdict_and_the_worker_is_replaced(manifest: Path, task: str, answer: str) -> None:
    vid, v = next((vid, v) for vid, v in Manifest(manifest).variants.items() if v["kind"] == "closed-form")

    async def scenario() -> tuple[dict, dict, int]:
        pool = GradingPool(manifest, size=1, budget=0.002)
        await pool.start()
        try:
            slow = await pool.run(task, vid, answer)
            pool.budget = 60.0  # the replacement worker grades the next answer as usual
            fine = await pool.run("grade", vid, v["answer"])
            return slow, fine, pool.restarts
        finally:
            await pool.stop()

    slow, fine, restarts = asyncio.run(scenario())
    assert restarts == 1
    assert slow == TOO_SLOW if task == "grade" else not slow["ok"]
    assert fine["correct"] is True and fine["reading"]


class _Starved:
    """A worker that answers only after `late` seconds on the clock, having spent `cpu` seconds of CPU."""

    def __init__(self, late: float):
        self.late, self.asked = late, 0.0
        self.process = type("Process", (), {"pid": 0, "is_alive": lambda self: True})()

    async def receive(self, timeout: float) -> dict:
        if self.asked + timeout < self.late:
            self.asked += timeout
            await asyncio.sleep(timeout)
            raise TimeoutError
        await asyncio.sleep(max(0.0, self.late - self.asked))
        return {"graded": True, "correct": True}

    def kill(self) -> None:
        pass


@pytest.mark.parametrize("cpu, late, verdict", [
    (0.05, 0.6, {"graded": True, "correct": True}),  # starved: 3 budgets on the clock, little CPU: graded
    (0.5, 0.6, TOO_SLOW),  # it did spend its budget: too slow
    (0.05, 3.0, TOO_SLOW),  # starved beyond WALL_FACTOR budgets: too slow all the same
])
def test_the_budget_is_cpu_time_within_a_limit_of_clock_time(monkeypatch, manifest, cpu, late, verdict):
    monkeypatch.setattr("generator.serve.pool.os.setpriority", lambda *args: None)
    monkeypatch.setattr("generator.serve.pool.cpu_seconds", lambda pid: 10.0 + cpu)
    monkeypatch.setattr("generator.serve.pool.WALL_FACTOR", 10)

    async def scenario() -> dict:
        pool = GradingPool(manifest, size=1, budget=0.2)
        done = asyncio.get_running_loop().create_future()
        await pool._finish_slow(_Starved(late), "grade", done, started=10.0)  # noqa: SLF001 - the rule itself
        return done.result()

    assert asyncio.run(scenario()) == verdict


def test_cpu_seconds_reads_a_process_and_admits_what_it_cannot():
    before = cpu_seconds(os.getpid())
    sum(k * k for k in range(2_000_000))
    after = cpu_seconds(os.getpid())
    assert before is not None and after is not None and after > before
    assert cpu_seconds(2 ** 22 + 12345) is None  # no such process
