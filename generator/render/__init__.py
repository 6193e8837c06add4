"""Documents: the one Jinja environment, the views of the deck and the identity tables, latexmk, the templates."""
from .latexmk import build
from .slides import render_slides
from .table import render_table

__all__ = ["build", "render_slides", "render_table"]
