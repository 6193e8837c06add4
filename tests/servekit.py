"""Helpers for the serve tests: a small manifest, a real `mcgen serve` process, plain HTTP calls."""
from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Sequence

from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHEETS = sorted(str(p) for p in (ROOT / "problems" / "sheets").glob("*.toml"))
START_TIMEOUT = 120.0  # seconds for a server to answer /ping (workers derive every variant first)


def build_manifest(out: Path, variants: int = 2, roster: Path | None = None) -> Path:
    """A sheet's manifest from problems/sheets (no PDF), as `make sheets` makes it."""
    args = ["sheet", *SHEETS, "--seed", "2024", "-o", str(out), "--no-pdf"]
    args += ["--roster", str(roster)] if roster else ["--variants", str(variants)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out / "manifest.json"


def write_roster(path: Path, students: Sequence[tuple[str, str]]) -> Path:
    """A roster CSV with columns id,name."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "name"))
        writer.writerows(students)
    return path


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(url: str, data: Any = None, timeout: float = 30.0, raw: bytes | None = None) -> tuple[int, Any]:
    """(status, decoded JSON or text) of a GET, or of a POST of `data` as JSON (or `raw` bytes)."""
    body = raw if raw is not None else None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


class Server:
    """`mcgen serve` in a process of its own, on a free port; stop() ends it, kill() SIGKILLs it."""

    def __init__(self, manifest: Path, args: Sequence[str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-c", "from generator.cli import main; main()", "serve",
                   "--manifest", str(manifest), "--port", str(self.port), *args]
        # A session of its own: SIGKILL reaches the app and its grading workers together, as a crash would.
        self.process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if call(self.url + "/ping", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mcgen serve did not start: {log.read_text()}")
            time.sleep(0.2)
        self.instructor = next(line.rsplit("/i/", 1)[1].strip() for line in log.read_text().splitlines()
                               if "instructor dashboard:" in line)

    def kill(self) -> None:
        """SIGKILL the whole process group: nothing gets to flush or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM), then make sure it did."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def links(path: Path) -> dict[str, str]:
    """student id → token, from links.csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row["url"].rsplit("/s/", 1)[1] for row in csv.DictReader(handle)}
