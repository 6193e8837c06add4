"""Text or LaTeX → expression tree through one grammar (never eval); problem files → Problem."""
from .builder import ShapeMismatch, UnknownName, parse, parse_expression

__all__ = ["ShapeMismatch", "UnknownName", "parse", "parse_expression"]
