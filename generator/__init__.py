"""mcgen: matrix-calculus derivations with proofs, slides, exercise sheets and grading."""
from .errors import GeneratorError
from .grade import grade
from .model import Derivation, Problem, Step, Verdict
from .pipeline import derive, derive_problem
from .problems import load

__all__ = ["GeneratorError", "Derivation", "Problem", "Step", "Verdict", "derive", "derive_problem", "grade",
           "load"]
