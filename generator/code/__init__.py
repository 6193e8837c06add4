"""Printers of the expression tree into code: NumPy (and its standalone modules) and Maxima; beside latex/, below pipeline/."""
