"""The app's work without HTTP: find the student, check the rate and ownership, grade in a worker, store, answer."""
from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..grading.manifest import Manifest
from ..parse.syntax import MAX_LENGTH
from .course import ENROLLED, Course, Student, enrolled
from .guard import RateLimit
from .pool import TIME_BUDGET, GradingPool
from .store import Attempt, Store, Stored, Submission

MODES = ("practice", "exam")
WITHHELD = "Your answer is stored (attempt {attempt}). Feedback comes when your instructor releases it."


@dataclass(frozen=True)
class Settings:
    """Everything an app process needs; passed to each of several processes as JSON."""

    manifest: str
    database: str
    mode: str = "practice"
    attempts: int | None = None  # per exercise; None: unlimited
    graders: int = 1  # grading worker processes per app process
    answer_rate: float = 2.0  # submissions per second per token, on average … (a person needs far fewer)
    answer_burst: float = 10.0  # … with bursts of this many
    preview_rate: float = 10.0
    preview_burst: float = 40.0
    budget: float = TIME_BUDGET  # seconds one answer may take to grade

    def to_json(self) -> str:
        """The settings as JSON."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Settings:
        """Settings from to_json's text."""
        return Settings(**json.loads(text))


class Refused(Exception):
    """A request the app turns down: its HTTP status, a one-line reason, and when to retry (429)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class Service:
    """One app process: the course, its database, its grading workers and its rate limits."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.answers = RateLimit(settings.answer_rate, settings.answer_burst)
        self.previews = RateLimit(settings.preview_rate, settings.preview_burst)
        self.store = Store(settings.database, settings.attempts)
        self.pool = GradingPool(Path(settings.manifest), settings.graders, budget=settings.budget)
        self.course: Course
        self.names: dict[str, str] = {}
        self.instructor = self.csrf_key = ""

    async def start(self) -> None:
        """Open the database, read the students, start the grading workers and the writer."""
        await asyncio.to_thread(self.store.migrate)
        everyone = [Student(*row) for row in await asyncio.to_thread(self.store.students)]
        manifest = Manifest(Path(self.settings.manifest))
        self.course = Course(manifest, enrolled(everyone, await asyncio.to_thread(self.store.meta, ENROLLED)))
        self.names = {s.id: s.name for s in everyone}  # off the roster too: their attempts are still listed
        self.instructor = str(await asyncio.to_thread(self.store.meta, "instructor") or "")
        self.csrf_key = str(await asyncio.to_thread(self.store.meta, "csrf") or "")
        if not self.instructor or not self.csrf_key:
            raise RuntimeError(f"{self.store.where()}: not prepared; start the app with mcgen serve")
        await self.pool.start()
        self.store.start_writer()

    async def stop(self) -> None:
        """Stop the workers; write what is queued."""
        await self.pool.stop()
        await asyncio.to_thread(self.store.close)

    # ---------------------------------------------------------------- who and what

    def student(self, token: str) -> Student:
        """The student of a token, or 404."""
        found = self.course.student(token)
        if found is None:
            raise Refused(404, "unknown link")
        return found

    def is_instructor(self, token: str) -> bool:
        """Whether a token is the instructor's (constant time)."""
        return hmac.compare_digest(self.instructor.encode(), token.encode("utf-8", "surrogatepass"))

    def throttle(self, student: Student, limit: RateLimit) -> None:
        """429 when the student's token went over its rate."""
        wait = limit.wait(student.id)
        if wait:
            raise Refused(429, f"too many requests; at most {limit.rate:g} a second (bursts of {limit.burst:g})",
                          retry_after=wait)

    def request(self, student: Student, data: Any) -> tuple[str, str]:
        """(exercise, answer) of a request's JSON: 422 when malformed, 413 when too long, 404/403 for the id."""
        if not isinstance(data, dict):
            raise Refused(422, 'expected a JSON object {"exercise": "<id>", "answer": "<text>"}')
        exercise, answer = data.get("exercise"), data.get("answer")
        if not isinstance(exercise, str) or not isinstance(answer, str):
            raise Refused(422, 'expected "exercise" and "answer", both strings')
        for name, text in (("exercise", exercise), ("answer", answer)):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800"): no database stores it, no parser reads it
                raise Refused(422, f"the {name} is not valid text (it holds a lone surrogate)") from None
        if len(answer) > MAX_LENGTH:
            raise Refused(413, f"the answer has {len(answer)} characters; the limit is {MAX_LENGTH}")
        if exercise not in self.course.manifest.variants:
            raise Refused(404, f"no exercise {exercise!r}")
        if not self.course.owns(student, exercise):
            raise Refused(403, f"exercise {exercise!r} is not yours")
        return exercise, answer

    # ---------------------------------------------------------------- answering

    async def submit(self, student: Student, exercise: str, answer: str) -> dict[str, Any]:
        """Grade in a worker, store durably, then the verdict as the mode shows it."""
        result = await self.pool.run("grade", exercise, answer)
        sub = Submission(student.id, exercise, answer, result["reading"], result["graded"], result["correct"],
                         result["mistake"], result["feedback"], result["score"])
        try:
            stored: Stored = await asyncio.wrap_future(self.store.submit(sub))
        except Exception:  # noqa: BLE001 - the database said no: the student must not think it was kept
            raise Refused(503, "the answer could not be stored; please submit it again") from None
        if stored.attempt is None:
            raise Refused(409, f"no attempts left: all {self.settings.attempts} used")
        if self.settings.mode == "exam" and not stored.released:
            return {"correct": None, "mistake": None, "feedback": WITHHELD.format(attempt=stored.attempt),
                    "score": None, "attempt": stored.attempt}
        return {"correct": result["correct"], "mistake": result["mistake"], "feedback": result["feedback"],
                "score": result["score"], "attempt": stored.attempt}

    async def preview(self, exercise: str, answer: str) -> dict[str, Any]:
        """How an answer reads: {ok, latex, message, column}."""
        return await self.pool.run("preview", exercise, answer)

    # ---------------------------------------------------------------- reading back

    async def released(self) -> bool:
        """Whether exam feedback is released (always, in practice mode)."""
        if self.settings.mode == "practice":
            return True
        return await asyncio.to_thread(self.store.meta, "released") == "1"

    async def release(self, flag: bool) -> None:
        """Release exam feedback, or withhold it again."""
        await asyncio.to_thread(self.store.set_meta, "released", "1" if flag else "0")

    async def attempts(self, student: Student | None = None) -> list[Attempt]:
        """Stored attempts, everyone's or one student's."""
        return await asyncio.to_thread(self.store.attempts, student.id if student else None)
