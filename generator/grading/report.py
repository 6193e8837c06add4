"""The class report: score distribution, mistakes per question and the commonest wrong answers, as one PDF.

Plots are drawn by matplotlib into PDF figures with fixed metadata (no dates, a fixed hash salt)
and set in a LaTeX document compiled by render/latexmk, so the same grades give the same bytes.
The wrong answers are shown as the grader read them (the echo, LaTeX printed from the parsed
answer), never as the student typed them: nothing typed reaches LaTeX.
"""
from __future__ import annotations

import io
import os
from collections import Counter
from typing import Any, Mapping, Sequence

from ..render.escape import tex_escape
from ..render.latexmk import compile_tex
from .manifest import Manifest
from .summary import OUTCOMES, GradeSummary

TOP_ANSWERS = 5  # wrong answers shown per question
COLOURS = {"correct": "#4c9a2a", "layout": "#1f77b4", "transpose": "#aec7e8", "sign": "#9467bd", "scale": "#17becf",
           "kron-order": "#bcbd22", "shape": "#ff7f0e", "unknown-symbol": "#8c564b", "parse": "#7f7f7f",
           "other": "#d62728", "ungraded": "#c7c7c7"}  # one per outcome (tests/test_gradebook.py checks)
UNREAD = "(could not be read)"


def report_pdf(summary: GradeSummary, manifest: Manifest) -> bytes:
    """The report's PDF bytes: the same summary gives the same bytes."""
    rows = [r for r in summary.rows if r.get("outcome") is not None]
    figures = {"scores.pdf": _figure(_score_plot, _student_means(rows)),
               "mistakes.pdf": _figure(_mistake_plot, summary.by_question)}
    return compile_tex(_source(summary, rows, manifest), "report", figures).pdf


def _student_means(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each student's mean score over the answers that count."""
    totals: dict[str, list[float]] = {}
    for row in rows:
        if row["counted"] == "yes" and row["student"]:
            entry = totals.setdefault(row["student"], [0.0, 0.0])
            entry[0] += row["value"]
            entry[1] += 1
    return [total / n for total, n in (totals[s] for s in sorted(totals))]


def _figure(draw: Any, data: Any) -> bytes:
    """One matplotlib figure as PDF bytes, reproducibly: no creation date, a fixed SVG hash salt, one backend."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt
    with matplotlib.rc_context({"svg.hashsalt": "mcgen", "pdf.fonttype": 42, "font.family": "DejaVu Sans",
                                "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6.0, 3.0))
        try:
            draw(ax, data)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="pdf", metadata={"CreationDate": None, "ModDate": None, "Creator": "mcgen",
                                                     "Producer": "mcgen"})
        finally:
            plt.close(fig)
    return out.getvalue()


def _score_plot(ax: Any, means: list[float]) -> None:
    bins = [k / 10 for k in range(11)]
    ax.hist(means, bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean score per student")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)


def _mistake_plot(ax: Any, by_question: Mapping[str, Mapping[str, int]]) -> None:
    questions = sorted(by_question)
    left = [0] * len(questions)
    for tag in OUTCOMES:
        counts = [by_question[q].get(tag, 0) for q in questions]
        if any(counts):
            ax.barh(questions, counts, left=left, color=COLOURS[tag], label=tag)
            left = [a + b for a, b in zip(left, counts)]
    ax.invert_yaxis()
    ax.set_xlabel("answers")
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)


def common_wrong(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[str, str, int]]]:
    """Per question, the commonest wrong answers as read (LaTeX), their mistake, and how many students gave each."""
    tallies: dict[str, Counter] = {}
    for row in rows:
        if row["counted"] != "yes" or row["outcome"] in ("correct", "ungraded"):
            continue
        tallies.setdefault(row["question"], Counter())[(row["echo"] or UNREAD, row["mistake"])] += 1
    return {q: [(echo, tag, n) for (echo, tag), n in sorted(t.items(), key=lambda item: (-item[1], item[0]))
                [:TOP_ANSWERS]] for q, t in sorted(tallies.items())}


def _source(summary: GradeSummary, rows: Sequence[Mapping[str, Any]], manifest: Manifest) -> str:
    lines = [r"\documentclass[11pt]{article}", r"\usepackage[margin=2cm]{geometry}",
             r"\usepackage{amsmath,amssymb,graphicx,booktabs,adjustbox}", r"\pdfinfoomitdate=1",
             r"\pdftrailerid{}", r"\begin{document}", r"\section*{Class report}",
             tex_escape(f"{summary.submissions} answers count, mean score {summary.mean_score:.3f}; "
                        f"{summary.flagged} flagged as another student's variant; "
                        f"{len(summary.problems)} row(s) need a look."),
             r"\subsection*{Score distribution}", r"\includegraphics[width=\linewidth]{scores.pdf}",
             r"\subsection*{Mistakes per question}", r"\includegraphics[width=\linewidth]{mistakes.pdf}",
             r"\subsection*{The commonest wrong answers}"]
    wrong = common_wrong(rows)
    if not wrong:
        lines.append("No wrong answers.")
    for question, answers in wrong.items():
        title = next((str(v.get("title", "")) for v in manifest.variants.values() if v.get("problem") == question), "")
        lines += [r"\par\medskip\noindent\begin{minipage}{\linewidth}",  # a question's table is not split
                  rf"\textbf{{{tex_escape(question)}}}\quad {tex_escape(title)}\par\smallskip",
                  r"\begin{tabular}{@{}rlp{0.62\linewidth}@{}}", r"\toprule", r"students & mistake & answer as read \\",
                  r"\midrule"]
        for echo, tag, n in answers:
            shown = r"\emph{could not be read}" if echo == UNREAD else \
                rf"\adjustbox{{max width=0.62\linewidth}}{{$\displaystyle {echo}$}}"
            lines.append(rf"{n} & {tex_escape(tag)} & {shown} \\")
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{minipage}", ""]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
