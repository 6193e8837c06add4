"""A proof step as shown (`generator.Step`): LaTeX and reason printed from the step's data when first read."""
from __future__ import annotations

from typing import Any, Callable, Hashable

from ..proof.formula import Equation
from ..proof.steps import ProofStep
from .formula import formula_latex, reason_latex
from .printer import MEMO_SIZE

_UNSET: Any = object()
_PRINTED: dict[Hashable, tuple[str, str, tuple[str, str]]] = {}


class Step:
    """One line of a proof: LaTeX to show (math mode), the reason in words, its kind and its claim.

    `Step(latex, reason, kind, claim)` holds text; `Step.of(data)` holds a proof step's data
    (proof/steps.py) and prints it on first read, after `prepare` (a renaming) when one is given,
    so a derivation nobody shows is never printed. Steps made with equal `key`s print alike, so
    the text is printed once per key: variants of a sheet repeat the same steps with the same
    few names.
    """

    __slots__ = ("kind", "claim", "_data", "_prepare", "_key", "_text")

    def __init__(self, latex: str, reason: str, kind: str = "equation", claim: Any = None) -> None:
        self.kind, self.claim = kind, claim
        self._data: ProofStep | None = None
        self._prepare: Callable[[ProofStep], ProofStep] | None = None
        self._key: Callable[[], Hashable] | None = None
        self._text: tuple[str, str, tuple[str, str]] | None = (latex, reason, ("", latex))

    @classmethod
    def of(cls, data: ProofStep, prepare: Callable[[ProofStep], ProofStep] | None = None,
           claim: Any = _UNSET, key: Callable[[], Hashable] | None = None) -> Step:
        """The step that shows `data` (after `prepare`, when given); its claim unless another is given;
        `key`, when given, names what it prints (asked when first shown): equal keys print alike."""
        step = cls.__new__(cls)
        step.kind, step.claim = data.kind, data.claim if claim is _UNSET else claim
        step._data, step._prepare, step._key, step._text = data, prepare, key, None
        return step

    @property
    def data(self) -> ProofStep | None:
        """The proof step's data this step shows (None for a step made from text)."""
        if self._prepare is not None:
            self._data, self._prepare = self._prepare(self._data), None  # type: ignore[arg-type]
        return self._data

    @property
    def latex(self) -> str:
        """The formula, LaTeX in math mode."""
        return self._shown()[0]

    @property
    def reason(self) -> str:
        """The reason: words with inline maths."""
        return self._shown()[1]

    @property
    def sides(self) -> tuple[str, str]:
        """LaTeX of the left-hand side and of everything right of its '=' ('' and the whole formula
        when the step is not an equation)."""
        return self._shown()[2]

    def _shown(self) -> tuple[str, str, tuple[str, str]]:
        if self._text is None:
            key = None if self._key is None else self._key()
            self._text = None if key is None else _PRINTED.get(key)
            if self._text is None:
                self._text = _print(self.data)  # type: ignore[arg-type]
                if key is not None:
                    if len(_PRINTED) >= MEMO_SIZE:
                        _PRINTED.clear()
                    _PRINTED[key] = self._text
        return self._text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.latex, self.reason, self.kind, self.claim) == (other.latex, other.reason, other.kind, other.claim)

    def __hash__(self) -> int:
        return hash((self.latex, self.reason, self.kind))

    def __repr__(self) -> str:
        return f"Step(latex={self.latex!r}, reason={self.reason!r}, kind={self.kind!r})"


def _print(data: ProofStep) -> tuple[str, str, tuple[str, str]]:
    """LaTeX, reason and sides of a proof step's data."""
    if isinstance(data.shows, Equation):
        lhs = formula_latex(data.shows.lhs)
        rhs = " = ".join(formula_latex(s) for s in data.shows.rhs)
        return f"{lhs} = {rhs}", reason_latex(data.reason), (lhs, rhs)
    latex = formula_latex(data.shows)
    return latex, reason_latex(data.reason), ("", latex)
