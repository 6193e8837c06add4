"""A real headless Chromium (Debian's) on a real `mcgen serve`: type LaTeX, see KaTeX's preview, submit, see it all.

Set MCGEN_SCREENSHOTS=docs to write the README's pictures (serve-student.png, serve-dashboard.png) there.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright

from generator.grading.manifest import Manifest
from servekit import Server, build_manifest, call, links, write_roster

CHROMIUM = "/usr/bin/chromium"  # Debian's package (make test installs it); Playwright cannot download browsers here
STUDENTS = (("s1001", "Ada Lovelace"), ("s1002", "Alan Turing"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, dict[str, str]]]:
    """A real server of two variants and two students: (server, manifest, tokens)."""
    out = tmp_path_factory.mktemp("browser")
    manifest = build_manifest(out / "sheet", variants=2)
    roster = write_roster(out / "roster.csv", STUDENTS)
    server = Server(manifest, ["--roster", str(roster), "--db", str(out / "db.sqlite3")], out / "server.log")
    try:
        yield server, manifest, links(out / "links.csv")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """A page of Debian's headless Chromium, desktop-sized."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 960, "height": 1000}, device_scale_factor=1)
        yield context.new_page()
        browser.close()


def shots() -> Path | None:
    """Where screenshots go (MCGEN_SCREENSHOTS), or None."""
    where = os.environ.get("MCGEN_SCREENSHOTS")
    return Path(where) if where else None


def test_a_student_types_latex_sees_it_read_submits_and_the_dashboard_shows_it(
        served: tuple[Server, Path, dict[str, str]], page: Page) -> None:
    server, manifest, tokens = served
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    errors: list[str] = []  # any error in the console: a resource refused, a favicon missing …
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    variants = Manifest(manifest).variants
    vid, v = next((vid, v) for vid, v in variants.items() if v["kind"] == "closed-form" and v["number"] == 1)

    page.goto(f"{server.url}/s/{tokens['s1001']}")
    page.wait_for_selector(".question .katex")  # the questions' maths, typeset by the app's own KaTeX
    field = page.locator(f"#{vid}-answer")
    field.focus()
    page.keyboard.type("\\left(" + v["answer_latex"] + "\\right")  # an unclosed bracket first: an error …
    error = page.locator(f"#{vid}-preview.error")
    error.wait_for()
    assert "column" in error.inner_text().lower()
    page.keyboard.type(")")  # … then closed
    preview = page.locator(f"#{vid}-preview .reading .katex")
    preview.wait_for()
    assert (preview.locator(".katex-mathml annotation").text_content() or "").strip()
    page.keyboard.press("Enter")  # submitting from the keyboard
    verdict = page.locator(f"#{vid} .verdict.correct")
    verdict.wait_for()
    assert "Attempt 1: Correct." in verdict.inner_text()
    page.locator(f"#{vid}").scroll_into_view_if_needed()
    if shots():
        page.screenshot(path=str(shots() / "serve-student.png"))

    other, w = next((vid, v) for vid, v in variants.items() if v["kind"] == "closed-form" and v["number"] == 2)
    for answer in (f"({w['answer']})^T", f"-({w['answer']})", f"({w['answer']})^T", f"2 {w['answer']}"):
        assert call(f"{server.url}/s/{tokens['s1002']}/answer", {"exercise": other, "answer": answer})[0] == 200
    assert call(f"{server.url}/s/{tokens['s1001']}/answer", {"exercise": vid, "answer": v["answer"]})[0] == 200

    page.goto(f"{server.url}/i/{server.instructor}")
    page.wait_for_selector(".recent .math .katex")
    assert page.locator(".common .math .katex").count() >= 2  # the wrong answers, typeset
    assert "× 2" in page.locator(".common").first.inner_text()  # the transposed answer, given twice
    recent = page.locator(".recent tbody tr").nth(5).inner_text()  # the first submission, oldest of six
    assert "Ada Lovelace" in recent and vid in recent and "correct" in recent
    assert page.locator("svg.chart rect.o-correct").count() >= 1
    if shots():
        page.screenshot(path=str(shots() / "serve-dashboard.png"), full_page=True)
    assert violations == [] and errors == []


def test_the_page_works_on_a_phone_sized_screen(served: tuple[Server, Path, dict[str, str]], page: Page) -> None:
    server, _, tokens = served
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{server.url}/s/{tokens['s1002']}")
    page.wait_for_selector(".question .katex")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # nothing wider than the phone: long formulas scroll inside their own box
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
