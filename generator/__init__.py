"""mcgen: matrix-calculus derivations with proofs, slides, exercise sheets and grading."""
from .api import (
    Derivation, GeneratorError, GradeSummary, Problem, Step, Verdict, derive, derive_problem, grade, grade_file,
    hessian, load,
)

__all__ = ["GeneratorError", "Derivation", "GradeSummary", "Problem", "Step", "Verdict", "derive",
           "derive_problem", "grade", "grade_file", "hessian", "load"]
