"""Where submissions live: SQLite (WAL, fsync per commit) or PostgreSQL, one interface; writes group-committed."""
from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import GeneratorError
from . import schema

BATCH = 512  # submissions written by one commit at most: one fsync acknowledges them all
CHECKPOINT_EVERY = 1.0  # seconds between SQLite checkpoints (the log copied into the database file)
ATTEMPT_COLUMNS = ("seq", "student", "exercise", "attempt", "answer", "reading", "graded", "correct", "mistake",
                   "feedback", "score", "created")


@dataclass(frozen=True)
class Submission:
    """A graded answer on its way to the database."""

    student: str
    exercise: str
    answer: str
    reading: str  # LaTeX of how the answer was read; "" when it could not be read
    graded: bool
    correct: bool | None
    mistake: str | None
    feedback: str
    score: float | None


@dataclass(frozen=True)
class Stored:
    """What the database said: the attempt's number (None: no attempts left) and whether feedback is released."""

    seq: int | None
    attempt: int | None
    created: str
    released: bool


@dataclass(frozen=True)
class Attempt:
    """One stored attempt, as read back."""

    seq: int
    student: str
    exercise: str
    attempt: int
    answer: str
    reading: str
    graded: bool
    correct: bool | None
    mistake: str | None
    feedback: str
    score: float | None
    created: str


def is_postgres(url: str) -> bool:
    """Whether a --database/--db value names a PostgreSQL server rather than an SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


class Store:
    """The course's database: schema, students and their tokens, meta values, append-only attempts."""

    def __init__(self, url: str, attempts_limit: int | None = None):
        self.url, self.limit = url, attempts_limit
        self.postgres = is_postgres(url)
        self._local = threading.local()
        self._queue: queue.Queue[tuple[Submission, Future] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    # ---------------------------------------------------------------- connections

    def _connect(self) -> Any:
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise GeneratorError("--database postgresql://…: install the PostgreSQL driver with "
                                     "pip install 'mcgen[postgres]'") from None
            try:
                return psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as err:
                raise GeneratorError(f"--database: cannot connect ({' '.join(str(err).split())})") from None
        path = Path(self.url)
        try:
            _owner_only(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # in WAL mode: the log is fsynced at every commit
            conn.execute("PRAGMA busy_timeout=30000")  # several app processes take turns to write
        except (sqlite3.Error, OSError) as err:
            reason = getattr(err, "strerror", None) or err
            raise GeneratorError(f"{path}: cannot open the database ({reason})") from None
        return conn

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def _run(self, conn: Any, text: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(self._sql(text), tuple(params))

    def _begin(self, conn: Any) -> None:
        # IMMEDIATE: an SQLite writer takes the lock before it reads, so attempt numbers cannot race
        conn.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")

    def _transaction(self, conn: Any, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        self._begin(conn)
        try:
            for text, params in statements:
                self._run(conn, text, params)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ---------------------------------------------------------------- schema and set-up

    def migrate(self) -> int:
        """Create or bring the schema up to date; returns the schema version now in force."""
        conn = self._conn()
        migrations = schema.POSTGRES if self.postgres else schema.SQLITE
        if self.postgres:
            conn.execute("SELECT pg_advisory_lock(472061)")  # several processes starting at once migrate once
        try:
            exists = self._run(conn, "SELECT 1 FROM information_schema.tables WHERE table_name = 'meta'" if
                               self.postgres else "SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            version = int(self.meta("schema") or 0) if exists else 0
            if version > len(migrations):
                raise GeneratorError(f"{self.where()}: the database has schema {version}, newer than this mcgen "
                                     f"knows ({len(migrations)}); upgrade mcgen")
            for number in range(version, len(migrations)):
                steps = [(text, ()) for text in migrations[number]]
                upsert = self._upsert_meta()
                self._transaction(conn, [*steps, (upsert, ("schema", str(number + 1)))])
        finally:
            if self.postgres:
                conn.execute("SELECT pg_advisory_unlock(472061)")
        return len(migrations)

    def where(self) -> str:
        """The database for messages: the SQLite path, or PostgreSQL without its password."""
        return "the PostgreSQL database" if self.postgres else str(self.url)

    def _upsert_meta(self) -> str:
        return "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"

    def meta(self, key: str) -> str | None:
        """A value of the meta table (schema, instructor token, release switch …)."""
        row = self._run(self._conn(), "SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a meta value in its own durable transaction."""
        self._transaction(self._conn(), [(self._upsert_meta(), (key, value))])

    def meta_default(self, key: str, value: str) -> str:
        """The stored value of `key`; `value` is stored first when there is none (the first writer wins)."""
        self._transaction(self._conn(), [("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                                          (key, value))])
        return str(self.meta(key))

    def students(self) -> list[tuple[str, str, str, int]]:
        """(id, name, token, variant number) of every student, by id."""
        rows = self._run(self._conn(), "SELECT id, name, token, number FROM students ORDER BY id").fetchall()
        return [(str(a), str(b), str(c), int(d)) for a, b, c, d in rows]

    def add_students(self, rows: Sequence[tuple[str, str, str, int]]) -> None:
        """Add students (id, name, token, number); one already stored keeps its token."""
        sql = "INSERT INTO students (id, name, token, number) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
        self._transaction(self._conn(), [(sql, row) for row in rows])

    # ---------------------------------------------------------------- reading attempts

    def attempts(self, student: str | None = None) -> list[Attempt]:
        """Every stored attempt in the order stored, or one student's."""
        sql = f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM attempts"
        rows = self._run(self._conn(), sql + (" WHERE student = ? ORDER BY seq" if student else " ORDER BY seq"),
                         (student,) if student else ()).fetchall()
        return [_attempt(row) for row in rows]

    # ---------------------------------------------------------------- writing attempts (group commit)

    def start_writer(self) -> None:
        """Start the thread that writes submissions, many per commit."""
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="mcgen-writer", daemon=True)
            self._writer.start()

    def submit(self, sub: Submission) -> Future:
        """Queue a submission; the future's result (a Stored) is set only after its commit returned."""
        done: Future = Future()
        self._queue.put((sub, done))
        return done

    def close(self) -> None:
        """Write what is queued, stop the writer and close this thread's connection."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _write_loop(self) -> None:
        conn, stop = self._connect(), False
        done = threading.Event()
        if not self.postgres:
            # Checkpoints copy the log into the database file and fsync it: a thread of their own does that,
            # so a commit (and the students waiting on it) never waits for one.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            threading.Thread(target=self._checkpoint_loop, args=(done,), name="mcgen-checkpoint", daemon=True).start()
        while not stop:
            batch: list[tuple[Submission, Future]] = []
            item = self._queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) >= BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stop = True  # None asks the writer to stop once the batch before it is written
            if batch:
                self._write(conn, batch)
        done.set()
        conn.close()

    def _checkpoint_loop(self, done: threading.Event) -> None:
        conn = self._connect()
        while not done.wait(CHECKPOINT_EVERY):
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never blocks the writer; skips what it cannot copy yet
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        conn.close()

    def _write(self, conn: Any, batch: list[tuple[Submission, Future]]) -> None:
        created = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        try:
            self._begin(conn)
            try:
                released = self._run(conn, "SELECT value FROM meta WHERE key = 'released'").fetchone()
                results = [self._insert(conn, sub, created) for sub, _ in batch]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except Exception as err:  # noqa: BLE001 - every waiting request must hear of it, never hang
            for _, done in batch:
                done.set_exception(err)
            return
        flag = released is not None and released[0] == "1"
        for (_, done), (seq, attempt) in zip(batch, results):
            done.set_result(Stored(seq, attempt, created, flag))

    def _insert(self, conn: Any, sub: Submission, created: str) -> tuple[int | None, int | None]:
        last = self._run(conn, "SELECT COALESCE(MAX(attempt), 0) FROM attempts WHERE student = ? AND exercise = ?",
                         (sub.student, sub.exercise)).fetchone()[0]
        number = int(last) + 1
        while self.limit is None or number <= self.limit:
            row = self._run(conn, "INSERT INTO attempts (student, exercise, attempt, answer, reading, graded, correct,"
                            " mistake, feedback, score, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT (student, exercise, attempt) DO NOTHING RETURNING seq",
                            (sub.student, sub.exercise, number, sub.answer, sub.reading, int(sub.graded),
                             None if sub.correct is None else int(sub.correct), sub.mistake, sub.feedback,
                             sub.score, created)).fetchone()
            if row is not None:
                return int(row[0]), number
            number += 1  # another app process took that number between our read and our write
        return None, None


def _owner_only(path: Path) -> None:
    """Create the SQLite file readable by its owner only (it holds the tokens and the CSRF key), or make it so.

    SQLite creates the -wal and -shm files beside it with the database file's permissions.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = name.stat().st_mode & 0o777
            if mode & 0o077:
                name.chmod(mode & 0o700)


def _attempt(row: Sequence[Any]) -> Attempt:
    seq, student, exercise, attempt, answer, reading, graded, correct, mistake, feedback, score, created = row
    return Attempt(int(seq), str(student), str(exercise), int(attempt), str(answer), str(reading), bool(graded),
                   None if correct is None else bool(correct), mistake, str(feedback),
                   None if score is None else float(score), str(created))
