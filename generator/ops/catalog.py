"""The registry every layer reads: the functions and reductions of ops/functions.py and ops/reductions.py."""
from __future__ import annotations

from .functions import FUNCTIONS
from .reductions import REDUCTIONS
from .registry import Registry

OPS = Registry({f.name: f for f in FUNCTIONS}, {r.name: r for r in REDUCTIONS})
