"""Every element-wise function and reduction, declared once: spellings, numpy, sympy, derivative, LaTeX."""
