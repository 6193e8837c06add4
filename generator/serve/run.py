"""Starting `mcgen serve`: check the manifest, prepare the database and the links, then run uvicorn."""
from __future__ import annotations

import http.client
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import GeneratorError
from ..grading.manifest import Manifest
from ..sheets.data import Student as RosterStudent
from .app import KATEX_VARIABLE, SETTINGS_VARIABLE, katex_dir
from .course import Student, enrol, links_csv, write_private
from .service import Settings
from .store import Store, is_postgres


@dataclass(frozen=True)
class Prepared:
    """What starting printed and wrote: the students with their tokens, the links file, the instructor's token."""

    students: tuple[Student, ...]
    links: Path
    instructor: str


def base_url(host: str, port: int) -> str:
    """The address students open (an IPv6 host in brackets)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def database(db: Path, db_given: bool, database: str | None) -> str:
    """The --db file, or the --database URL; refused in one line when the URL is not PostgreSQL's or both are given."""
    if database is None:
        return str(db)
    if not is_postgres(database):
        raise GeneratorError(f"--database {database!r}: expected a PostgreSQL URL postgresql://…; "
                             "use --db for an SQLite file")
    if db_given:
        raise GeneratorError("--db and --database: give one of them (--db an SQLite file, --database a PostgreSQL "
                             "server)")
    return database


def check_port(host: str, port: int) -> None:
    """Refuse in one line, before anything starts, an address the server could not listen on."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except (OSError, OverflowError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise GeneratorError(f"--host {host} --port {port}: cannot listen there ({reason})") from None


def links_path(settings: Settings) -> Path:
    """links.csv beside the SQLite database; beside the manifest for PostgreSQL, which has no file."""
    beside = Path(settings.manifest) if is_postgres(settings.database) else Path(settings.database)
    return beside.parent / "links.csv"


def prepare(settings: Settings, roster: Sequence[RosterStudent] | None, url: str) -> Prepared:
    """Check every variant derives, migrate the schema, give students tokens, write links.csv (once per start)."""
    if settings.mode not in ("practice", "exam"):
        raise GeneratorError(f"--mode: expected practice or exam, found {settings.mode!r}")
    if settings.attempts is not None and settings.attempts < 1:
        raise GeneratorError(f"--attempts: expected at least 1, found {settings.attempts}")
    katex = katex_dir()
    if not (katex / "katex.min.js").is_file():
        raise GeneratorError(f"{katex}: KaTeX is not there; install Debian's libjs-katex (apt-get install libjs-katex) "
                             f"or set {KATEX_VARIABLE} to a folder holding katex.min.js, katex.min.css, contrib/, fonts/")
    manifest = Manifest(Path(settings.manifest))
    for vid in manifest.variants:  # a broken variant is refused now, in one line, not when a student opens it
        manifest.derivation(vid)
    if not is_postgres(settings.database):
        Path(settings.database).parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.database)
    try:
        store.migrate()
        students = enrol(store, manifest, roster)
        instructor = store.meta_default("instructor", secrets.token_urlsafe(16))
        store.meta_default("csrf", secrets.token_hex(32))
    finally:
        store.close()
    path = links_path(settings)
    write_private(path, links_csv(students, url))
    return Prepared(tuple(students), path, instructor)


def banner(prepared: Prepared, url: str, mode: str) -> tuple[str, str]:
    """What starting prints: how many students, where, and the instructor's link."""
    return (f"serving {len(prepared.students)} student(s) at {url} ({mode} mode); their links are in {prepared.links}",
            f"instructor dashboard: {url}/i/{prepared.instructor}")


def serve(settings: Settings, host: str, port: int, workers: int, banner: Sequence[str] = ()) -> None:
    """Run the app under uvicorn until interrupted; several processes share the port when workers > 1.

    The banner is printed once the app answers on the port (its workers have started), not before.
    """
    import uvicorn  # noqa: PLC0415 - only `mcgen serve` needs the web server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    stop = threading.Event()
    threading.Thread(target=_announce, args=(host, port, banner, stop), name="mcgen-banner", daemon=True).start()
    try:
        uvicorn.run("generator.serve.app:from_environment", factory=True, host=host, port=port,
                    workers=workers if workers > 1 else None, access_log=False, log_level="warning",
                    timeout_graceful_shutdown=10)
    finally:
        stop.set()


def _announce(host: str, port: int, banner: Sequence[str], stop: threading.Event) -> None:
    """Print the banner as soon as GET /ping answers on the port (a wildcard host is asked on loopback)."""
    where = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    while not stop.wait(0.05):
        connection = http.client.HTTPConnection(where, port, timeout=2)
        try:
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                break
        except OSError:
            continue
        finally:
            connection.close()
    else:
        return  # the server stopped (or never started): nothing to announce
    for line in banner:
        print(line, flush=True)
