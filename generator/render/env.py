"""The one Jinja environment: LaTeX-friendly delimiters, StrictUndefined, the templates shipped in the package."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..errors import GeneratorError
from .escape import tex_escape, tex_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: LaTeX-friendly delimiters, StrictUndefined, no autoescape."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False, undefined=jinja2.StrictUndefined,
    )
    env.filters["tex_escape"] = tex_escape
    env.filters["tex_text"] = tex_text
    return env


def render(template: str, **context: Any) -> str:
    """Render one template of templates/; a missing variable is a GeneratorError naming the template."""
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateNotFound:
        raise GeneratorError(f"{TEMPLATES / template}: template not found") from None
    except jinja2.UndefinedError as err:
        raise GeneratorError(f"{TEMPLATES / template}: {err.message}") from None

