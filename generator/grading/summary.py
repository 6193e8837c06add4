"""What a batch run of the grader reports: totals, mistakes per tag and per question, rows to look at."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .verdict import MISTAKES

OUTCOMES = ("correct", *MISTAKES, "ungraded")


@dataclass(frozen=True)
class GradeSummary:
    """A batch run: totals, mistakes per tag and per question, the rows that need a look, the files written."""

    submissions: int  # rows that count: graded, one per student and exercise
    mean_score: float  # over the rows that count
    by_tag: Mapping[str, int]  # "correct", each mistake, and "ungraded"
    by_question: Mapping[str, Mapping[str, int]]
    problems: tuple[str, ...]  # "submissions.csv: line 7: unknown variant 'v9'", one per row that needs a look
    output: str
    summary: str
    students: str = ""  # the per-student totals file
    flagged: int = 0  # answers to a variant that belongs to someone else
    report: str = ""  # the class report, when one was asked for
    rows: tuple[Mapping[str, str], ...] = field(default=(), repr=False)  # every output row, for the report

    def text(self) -> str:
        """A few lines for a terminal: where the grades went, the outcomes, and the rows that need a look."""
        outcomes = ", ".join(f"{tag} {self.by_tag[tag]}" for tag in OUTCOMES if self.by_tag.get(tag))
        lines = [f"graded {self.submissions} submission(s) into {self.output} (mean score {self.mean_score:.3f})",
                 f"outcomes: {outcomes or 'none'}; per question: {self.summary}; per student: {self.students}"]
        if self.flagged:
            lines.append(f"{self.flagged} answer(s) to another student's variant flagged")
        if self.report:
            lines.append(f"class report: {self.report}")
        if self.problems:
            lines.append(f"{len(self.problems)} row(s) need a look:")
            lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)
