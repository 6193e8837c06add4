"""Helpers for the serve tests: a small manifest, a real `mcgen serve` process, plain HTTP calls."""
from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Sequence

import psycopg
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

    def __init__(self, manifest: Path, args: Sequence[str], log: Path, ping: bool = True):
        """Start it and wait for its banner (and, with `ping`, for /ping to answer)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-c", "from generator.cli import main; main()", "serve",
                   "--manifest", str(manifest), "--port", str(self.port), *args]
        # A session of its own: SIGKILL reaches the app and its grading workers together, as a crash would.
        self.process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready(ping):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mcgen serve did not start: {log.read_text()}")
            time.sleep(0.02)
        self.instructor = next(line.rsplit("/i/", 1)[1].strip() for line in log.read_text().splitlines()
                               if "instructor dashboard:" in line)

    def ready(self, ping: bool) -> bool:
        """Whether the banner is in the log (its last line, the instructor's link) and, with `ping`, /ping answers."""
        if "instructor dashboard:" not in self.log.read_text():
            return False
        try:
            return not ping or call(self.url + "/ping", timeout=2)[0] == 200
        except OSError:
            return False

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


def burst(url: str, targets: Sequence[tuple[str, str, str]], count: int, tag: str, threads: int = 8,
          kill: Server | None = None, kill_after: int = 0,
          refused: list[str] | None = None) -> list[tuple[str, str, str, int]]:
    """Submit `count` distinct answers from `threads` clients over targets (token, student, exercise).

    Returns the acknowledged ones as (student, exercise, answer, attempt). With `kill`, the server is
    SIGKILLed as soon as `kill_after` submissions were acknowledged, while the others are in flight.
    What was not acknowledged (a status and its reason, or the error) goes to `refused`.
    """
    acked: list[tuple[str, str, str, int]] = []
    lock, numbers = threading.Lock(), iter(range(count))

    def client() -> None:
        while True:
            with lock:
                k = next(numbers, None)
            if k is None:
                return
            token, student, exercise = targets[k % len(targets)]
            answer = f"{tag}{k}"  # distinct texts, so each can be found exactly once afterwards
            try:
                status, body = call(f"{url}/s/{token}/answer", {"exercise": exercise, "answer": answer}, timeout=120)
            except OSError as err:
                if refused is not None:
                    refused.append(repr(err))
                return  # the server is gone: this one was never acknowledged
            with lock:
                if status == 200:
                    acked.append((student, exercise, answer, int(body["attempt"])))
                elif refused is not None:
                    refused.append(f"{status} {body}")

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    if kill is not None:
        deadline = time.monotonic() + START_TIMEOUT
        while len(acked) < kill_after and time.monotonic() < deadline and any(w.is_alive() for w in workers):
            time.sleep(0.001)
        kill.kill()
    for w in workers:
        w.join()
    return acked


class Postgres:
    """A throw-away PostgreSQL server from Debian's binaries, on a free port, its data in a fresh directory.

    initdb and postgres refuse to run as root: as root they run as the package's `postgres` user (or `nobody`).
    """

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed; make test installs it (Debian's postgresql)")
        bin_dir = found[-1].parent
        self.data = Path(tempfile.mkdtemp(prefix="mcgen-pg-"))
        self.port = free_port()
        user = None
        if os.geteuid() == 0:
            name = "postgres" if _has_user("postgres") else "nobody"
            user = pwd.getpwnam(name)
            os.chown(self.data, user.pw_uid, user.pw_gid)
        # As that user, in its own directory (the checkout may be closed to it).
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "cwd": self.data} if user else {}
        subprocess.run([str(bin_dir / "initdb"), "-D", str(self.data / "db"), "-U", "mcgen", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True, **run_as)  # type: ignore[call-overload]
        self.log = (self.data / "server.log").open("w")
        if user:
            os.chown(self.data / "server.log", user.pw_uid, user.pw_gid)
        self.process = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(self.data / "db"), "-p", str(self.port), "-k", str(self.data),
             "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, **run_as)
        self.url = f"postgresql://mcgen@127.0.0.1:{self.port}/postgres"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"postgres did not start: {(self.data / 'server.log').read_text()}")
                time.sleep(0.2)

    def database(self, name: str) -> str:
        """A fresh, empty database on the server; its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://mcgen@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its data."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
