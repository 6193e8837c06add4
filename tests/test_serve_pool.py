"""Grading workers: an answer that overruns its time budget gets a verdict, its worker is replaced, others go on."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from generator.grading.manifest import Manifest
from generator.serve.pool import TOO_SLOW, GradingPool
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
