"""Exported questions as a page typeset by MathJax (Debian's libjs-mathjax) in a real headless Chromium."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from export_support import source
from generator.export.moodle import moodle_xml
from generator.export.preview import MATHJAX, preview_html

CHROMIUM = shutil.which("chromium")


def _typeset(page: str, tmp_path) -> str:
    """The page's DOM after Chromium ran MathJax on it."""
    assert CHROMIUM is not None, "Chromium is missing: `make chromium` installs it (make test does)"
    assert MATHJAX.startswith("file://") and os.path.exists(MATHJAX[7:].split("?")[0]), "`make mathjax`"
    path = tmp_path / "questions.html"
    path.write_text(page, encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                           "--virtual-time-budget=60000", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=300)
    return done.stdout


def test_every_exported_question_typesets_without_a_tex_error(tmp_path):
    """MathJax turns each \\( … \\) and \\[ … \\] into a typeset element; a TeX error would show as merror."""
    xml = moodle_xml(source())
    page = preview_html(xml)
    delimiters = page.count(r"\(") + page.count(r"\[")
    dom = _typeset(page, tmp_path)
    scripts = len(re.findall(r'<script type="math/tex', dom))
    frames = len(re.findall(r'id="MathJax-Element-\d+-Frame"', dom))
    assert scripts == delimiters and frames == scripts > 100
    assert 'class="mjx-merror' not in dom
    assert len(re.findall(r'<div class="que"', dom)) == len(source().items)


def test_a_multiple_choice_question_shows_its_options(tmp_path):
    item = next(i for i in source().items if i.kind == "closed-form")
    dom = _typeset(preview_html(moodle_xml(source()), [item.id]), tmp_path)
    assert len(re.findall(r'<input type="radio" disabled', dom)) >= 4 and item.id in dom
