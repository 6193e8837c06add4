"""mcgen: matrix-calculus derivations with proofs, slides, exercise sheets and grading."""
from .errors import GeneratorError
from .grade import grade
from .gradebook import GradeSummary, grade_file
from .model import Derivation, Problem, Step, Verdict
from .pipeline import derive, derive_problem, hessian
from .problems import load

__all__ = ["GeneratorError", "Derivation", "GradeSummary", "Problem", "Step", "Verdict", "derive",
           "derive_problem", "grade", "grade_file", "hessian", "load"]
