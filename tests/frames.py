"""Reading the LaTeX of a proof frame the way a student does: which letters name things, which are indices.

`read(latex)` walks the maths and sorts every letter into a name (W, 𝐱, u₁, λ, a size n) or an index
(the k of x_k, the i and j of W_ij, the k of Σ_k, the letters of 𝕀_{i=k}). A subscript of digits or of
\\text belongs to the name (W_{1}, x_{hat}); a size under an underbrace, after I or in K_{m,n} is a name; the
corners of a matrix (W_{1n}) are values and are left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma",
    "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
SKIP_GROUP = {"operatorname", "mathrm", "text", "begin", "end", "mathit"}  # a word, not a name of letters
NAME_SUBSCRIPT = re.compile(r"\d+|\\text\{[^}]*\}")


@dataclass
class Reading:
    """The names (letter with its numeric subscript: u1, W1, x) and the index letters of some maths."""

    names: set[str] = field(default_factory=set)
    indices: set[str] = field(default_factory=set)
    deltas: list[str] = field(default_factory=list)  # each 𝕀_{…} as printed

    def bases(self) -> set[str]:
        """The letters the names are written with: u for u₁."""
        return {re.sub(r"\d+$|_.*$", "", n) for n in self.names}


def read(latex: str) -> Reading:
    """The names and the index letters of a LaTeX formula."""
    out = Reading()
    _walk(latex, 0, len(latex), out, index=False)
    return out


def _group(s: str, k: int) -> int:
    """The index just past the brace group that opens at s[k] (or past the single token at s[k])."""
    if k >= len(s):
        return k
    if s[k] != "{":
        if s[k] == "\\":
            m = re.match(r"\\[A-Za-z]+", s[k:])
            return k + (m.end() if m else 2)
        return k + 1
    depth = 0
    for j in range(k, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return j + 1
    return len(s)


def _inner(s: str, k: int, end: int) -> tuple[int, int]:
    return (k + 1, end - 1) if s[k] == "{" else (k, end)


def _walk(s: str, start: int, stop: int, out: Reading, index: bool, in_matrix: bool = False) -> None:
    k = start
    last_name: str | None = None  # the name a following subscript of digits belongs to
    size_subscript = False  # after \underbrace{…} or the identity I: the subscript is a size
    while k < stop:
        c = s[k]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)", s[k:])
            if not m:
                k += 2
                continue
            word = m.group(1)
            k += m.end()
            size_subscript = False
            if word in SKIP_GROUP:
                if word == "begin" and s[k:].startswith("{bmatrix}"):
                    close = s.index(r"\end{bmatrix}", k)
                    _walk(s, k + len("{bmatrix}"), close, out, index, in_matrix=True)
                    k = close
                    continue
                k = _group(s, k)
                last_name = None
                continue
            if word in ("mathbf", "boldsymbol"):
                end = _group(s, k)
                a, b = _inner(s, k, end)
                body = s[a:b].lstrip("\\")
                k = end
                if body == "1":
                    last_name = None
                    continue
                last_name = body
                _name(out, body, index)
                continue
            if word == "mathbb":
                end = _group(s, k)
                letter = s[k + 1:end - 1]
                k = end
                if letter == "I":
                    close = _group(s, k + 1) if s[k:k + 1] == "_" else k
                    out.deltas.append(s[k - len(r"\mathbb{I}"):close])
                last_name = None
                continue
            if word == "underbrace":
                end = _group(s, k)
                _walk(s, *_inner(s, k, end), out, index, in_matrix)
                k, size_subscript, last_name = end, True, None
                continue
            if word in GREEK:
                _name(out, word, index)
                last_name = word
                continue
            last_name = None
            continue
        if c in "_^":
            end = _group(s, k + 1)
            a, b = _inner(s, k + 1, end)
            body = s[a:b]
            if c == "_" and in_matrix:
                pass  # a corner's subscript is a value (1, n), not an index
            elif c == "_" and last_name is not None and NAME_SUBSCRIPT.fullmatch(body) and not index:
                out.names.discard(last_name)
                out.names.add(last_name + re.sub(r"\\text\{([^}]*)\}", r"_\1", body))
                last_name = None
            elif c == "_" and (size_subscript or "," in body):  # I_{n}, a commutation matrix K_{m,n}
                _walk(s, a, b, out, index=False)
            else:
                _walk(s, a, b, out, index=(c == "_") or index)
            size_subscript = False
            k = end
            continue
        if c.isalpha():
            _name(out, c, index)
            last_name = c
            size_subscript = c == "I" and not index
            k += 1
            continue
        if c not in " {}":
            last_name = None if c not in ")" else last_name
            size_subscript = False
        k += 1


def _name(out: Reading, name: str, index: bool) -> None:
    (out.indices if index else out.names).add(name)
