"""Every element-wise function and reduction, declared once: spellings, numpy, sympy, derivative, LaTeX."""
from .catalog import OPS
from .registry import Function, Reduction

__all__ = ["OPS", "Function", "Reduction"]
