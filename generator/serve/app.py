"""The HTTP layer (Starlette): routes, request limits, security headers and redacted logs over the Service."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import charts, report, views
from .guard import HEADERS, csrf_ok, csrf_token, redact
from .service import Refused, Service, Settings

BODY_LIMIT = 16 * 1024  # bytes of a request body; an answer is at most 2,000 characters
SETTINGS_VARIABLE = "MCGEN_SERVE_SETTINGS"  # how `mcgen serve --workers N` hands settings to each process
STATIC = Path(__file__).parent / "static"
# KaTeX is a system library, as TeX Live and MathJax are: Debian's libjs-katex, served from where Debian puts it.
KATEX_VARIABLE = "MCGEN_KATEX"


def katex_dir() -> Path:
    """The folder holding KaTeX's katex.min.js, katex.min.css, contrib/ and fonts/ (MCGEN_KATEX, else Debian's)."""
    return Path(os.environ.get(KATEX_VARIABLE) or "/usr/share/javascript/katex")
log = logging.getLogger("mcgen.serve")


def create_app(settings: Settings) -> Starlette:
    """The ASGI app for one process; the database must have been prepared (run.prepare)."""
    service = Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    def api(handler: Callable[[Request, Service], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, service)
            except Refused as err:
                return _refusal(err, page=request.method == "GET" or request.url.path.endswith(("/form", "/release")))
        return endpoint

    routes = [
        Route("/", api(_home)),
        Route("/ping", _ping),
        Route("/favicon.ico", _favicon),
        Route("/s/{token}", api(_student_page)),
        Route("/s/{token}/answer", api(_answer), methods=["POST"]),
        Route("/s/{token}/preview", api(_preview), methods=["POST"]),
        Route("/s/{token}/form", api(_form), methods=["POST"]),
        Route("/i/{token}", api(_dashboard)),
        Route("/i/{token}/grades.csv", api(_grades)),
        Route("/i/{token}/release", api(_release), methods=["POST"]),
        # Debian links KaTeX's fonts from /usr/share/fonts: followed. `mcgen serve` checks the folder at start.
        Mount("/static/katex", StaticFiles(directory=katex_dir(), check_dir=False, follow_symlink=True), name="katex"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Headers)])
    app.state.service = service
    return app


def from_environment() -> ASGIApp:
    """The app of one of several worker processes, its settings read from MCGEN_SERVE_SETTINGS."""
    return create_app(Settings.from_json(os.environ[SETTINGS_VARIABLE]))


class Headers:
    """Adds the security headers to every response and logs each request with its tokens redacted."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, sending)
        log.info("%s %s %d %.1fms", scope["method"], redact(scope["path"]), status[0],
                 (time.perf_counter() - start) * 1000)


# ---------------------------------------------------------------- helpers

def _refusal(err: Refused, page: bool) -> Response:
    headers = {"Retry-After": str(max(1, round(err.retry_after)))} if err.retry_after else {}
    if page:
        return HTMLResponse(views.render("refused.html", status=err.status, message=err.message),
                            err.status, headers=headers)
    return JSONResponse({"error": err.message}, err.status, headers=headers)


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > BODY_LIMIT):
        raise Refused(413, f"the request is larger than {BODY_LIMIT} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_LIMIT:
            raise Refused(413, f"the request is larger than {BODY_LIMIT} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _fields(request: Request) -> dict[str, str]:
    """A form's fields (application/x-www-form-urlencoded, the forms' only encoding), within the size limit."""
    try:
        pairs = parse_qsl((await _body(request)).decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        raise Refused(422, "the form could not be read") from None
    return dict(pairs)


async def _json(request: Request) -> Any:
    body = await _body(request)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep, an integer of too many digits
        raise Refused(422, 'the body is not JSON; expected {"exercise": "<id>", "answer": "<text>"}') from None


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # pages behind a secret link stay out of shared caches
    return response


def _instructor(request: Request, service: Service) -> str:
    token = request.path_params["token"]
    if not service.is_instructor(token):
        raise Refused(404, "unknown link")
    return token


# ---------------------------------------------------------------- students

async def _home(request: Request, service: Service) -> Response:
    return HTMLResponse(views.render("home.html"))


async def _ping(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _favicon(request: Request) -> Response:
    return Response(status_code=204)  # no icon, and no 404 in the browser's console for the one it asks for


async def _student_page(request: Request, service: Service) -> Response:
    token = request.path_params["token"]
    student = service.student(token)
    attempts = await service.attempts(student)
    released = await service.released()
    page = views.render("student.html", student=student, token=token, mode=service.settings.mode,
                        released=released, limit=service.settings.attempts,
                        cards=views.cards(service.course, student, attempts, service.settings.attempts),
                        csrf=csrf_token(service.csrf_key, "answer", token))
    return _private(HTMLResponse(page))


async def _answer(request: Request, service: Service) -> Response:
    student = service.student(request.path_params["token"])
    service.throttle(student, service.answers)
    exercise, answer = service.request(student, await _json(request))
    return _private(JSONResponse(await service.submit(student, exercise, answer)))


async def _preview(request: Request, service: Service) -> Response:
    student = service.student(request.path_params["token"])
    service.throttle(student, service.previews)
    exercise, answer = service.request(student, await _json(request))
    return _private(JSONResponse(await service.preview(exercise, answer)))


async def _form(request: Request, service: Service) -> Response:
    """The page's form without script: same checks and grading, then back to the page, which shows the verdict."""
    token = request.path_params["token"]
    student = service.student(token)
    service.throttle(student, service.answers)
    form = await _fields(request)
    if not csrf_ok(service.csrf_key, "answer", token, str(form.get("csrf", ""))):
        raise Refused(403, "the form has expired; reload the page")
    exercise, answer = service.request(student, {"exercise": form.get("exercise"), "answer": form.get("answer")})
    await service.submit(student, exercise, answer)
    return RedirectResponse(f"/s/{token}#{exercise}", status_code=303)


# ---------------------------------------------------------------- instructor

async def _dashboard(request: Request, service: Service) -> Response:
    token = _instructor(request, service)
    attempts = await service.attempts()
    questions = report.questions(service.course, attempts)
    page = views.render("dashboard.html", token=token, mode=service.settings.mode,
                        released=await service.released(), questions=questions,
                        chart=charts.outcome_chart(questions), outcomes=report.OUTCOMES,
                        recent=report.recent(attempts), students=len(service.course.students),
                        submissions=len(attempts), names=service.names,
                        csrf=csrf_token(service.csrf_key, "release", token))
    return _private(HTMLResponse(page))


async def _grades(request: Request, service: Service) -> Response:
    _instructor(request, service)
    text = report.grades_csv(service.course, await service.attempts())
    return _private(Response(text, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="grades.csv"'}))


async def _release(request: Request, service: Service) -> Response:
    token = _instructor(request, service)
    form = await _fields(request)
    if not csrf_ok(service.csrf_key, "release", token, str(form.get("csrf", ""))):
        raise Refused(403, "the form has expired; reload the page")
    await service.release(form.get("release") == "1")
    return RedirectResponse(f"/i/{token}", status_code=303)
