"""The public API: derive, prove and check a derivative; load problem files; grade answers."""
from .errors import GeneratorError
from .grading.grade import grade
from .grading.gradebook import grade_file
from .grading.summary import GradeSummary
from .grading.verdict import Verdict
from .latex.steps import Step
from .parse.problem_file import Problem, load
from .pipeline.derivation import Derivation
from .pipeline.run import derive, derive_problem, hessian

__all__ = ["GeneratorError", "Derivation", "GradeSummary", "Problem", "Step", "Verdict", "derive",
           "derive_problem", "grade", "grade_file", "hessian", "load"]
