"""An exported Moodle XML file's questions as one HTML page typeset by MathJax, as a course site would show them."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from ..errors import GeneratorError

MATHJAX = "file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML"  # Debian's libjs-mathjax
GAP = re.compile(r"\{1:NUMERICAL:[^}]*\}")  # a cloze gap, shown as an empty box
STYLE = """body { font-family: "DejaVu Sans", sans-serif; font-size: 16px; margin: 24px; max-width: 860px; }
.que { border: 1px solid #cad0d7; border-radius: 4px; margin-bottom: 24px; }
.info { background: #f8f9fa; border-bottom: 1px solid #cad0d7; padding: 8px 14px; color: #495057; font-size: 14px; }
.content { padding: 6px 14px 12px; background: #e7f3f5; }
.answer div { margin: 6px 0; }
.mcgen-matrix td { padding: 2px 6px; }"""


def preview_html(moodle_xml: bytes, ids: list[str] | None = None, mathjax: str = MATHJAX) -> str:
    """A page with the questions (all, or those whose idnumber is in ids): text and, for multiple choice, options."""
    quiz = ET.fromstring(moodle_xml)
    questions = [q for q in quiz.findall("question") if q.get("type") != "category"
                 and (ids is None or q.findtext("idnumber") in ids)]
    if not questions:
        raise GeneratorError(f"no question {', '.join(ids or [])} in the Moodle XML")
    body = "".join(_question(k, q) for k, q in enumerate(questions, 1))
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>mcgen questions</title>'
            f"<style>{STYLE}</style>"
            f'<script type="text/x-mathjax-config">MathJax.Hub.Config({{messageStyle: "none"}});</script>'
            f'<script src="{html.escape(mathjax)}"></script></head>\n<body>{body}</body></html>\n')


def _question(number: int, q: ET.Element) -> str:
    name = html.escape(q.findtext("name/text") or "")
    options = ""
    if q.get("type") == "multichoice":
        rows = "".join(f'<div><input type="radio" disabled> {chr(ord("a") + k)}. {a.findtext("text")}</div>'
                       for k, a in enumerate(q.findall("answer")))
        options = f'<div class="answer">{rows}</div>'
    text = GAP.sub('<input size="8" disabled>', q.findtext("questiontext/text") or "")
    return (f'<div class="que" id="{html.escape(q.findtext("idnumber") or "")}"><div class="info">Question {number} · '
            f'{name}</div><div class="content">{text}{options}</div></div>')
