"""mcgen: matrix-calculus derivations with proofs, slides, exercise sheets and grading."""
from .errors import GeneratorError
from .model import Derivation, Problem, Step
from .pipeline import derive, derive_problem, hessian
from .problems import load

__all__ = ["GeneratorError", "Derivation", "Problem", "Step", "derive", "derive_problem", "hessian", "load"]
