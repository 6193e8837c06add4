"""Proofs as data: the strategies (element-wise, chain rule), index algebra with sympy, and the steps."""
