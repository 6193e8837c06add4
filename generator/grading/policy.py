"""Which submissions count: one student's several attempts at one exercise, and answers to exercises not theirs."""
from __future__ import annotations

from typing import Mapping, Sequence

from ..errors import GeneratorError

POLICIES = ("last", "best", "first")  # which of a student's attempts at one exercise counts; "last" by default
NOT_OWNED = ("zero", "flag")  # an answer to another student's variant: flagged and scored 0, or only flagged


def check_policy(policy: str) -> str:
    """The policy itself, or a GeneratorError naming the ones there are."""
    if policy not in POLICIES:
        raise GeneratorError(f"--policy {policy!r}: expected one of {', '.join(POLICIES)}")
    return policy


def counted(scores: Sequence[float], policy: str = "last") -> int:
    """The index of the attempt that counts among one student's attempts at one exercise, oldest first.

    last: the latest attempt; first: the earliest; best: the highest score, the earliest of equals
    (so resubmitting the same score changes nothing).
    """
    check_policy(policy)
    if not scores:
        raise GeneratorError("no attempts to choose from")
    if policy == "first":
        return 0
    if policy == "last":
        return len(scores) - 1
    return max(range(len(scores)), key=lambda k: (scores[k], -k))


def foreign_owner(student: str, variant: Mapping[str, object],
                  owners: Mapping[str, tuple[str, ...]] | None = None) -> str | None:
    """Whom a variant belongs to when `student` is not among them (a copied exercise id), else None.

    The owners are `owners[variant id]` (from a roster) or the variant's `student` field in the
    manifest; a variant with no owner may be answered by anyone.
    """
    named = (str(variant["student"]),) if variant.get("student") else ()
    found = (owners or {}).get(str(variant.get("id", ""))) or named
    return None if not found or student in found else ", ".join(found)
