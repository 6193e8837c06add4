"""The LaTeX printer: expression trees, index expressions and names as LaTeX."""
