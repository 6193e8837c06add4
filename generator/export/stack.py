"""STACK (Moodle's qtype_stack): the key as a Maxima matrix at concrete sizes, a matrix input, and a potential
response tree that tells the key from the other layout, the sign and a factor, with mcgen's feedback."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from ..code.maxima import MaximaPrinter, maxima_name
from ..errors import GeneratorError
from ..grading.grade import DEFAULT_CREDIT, grade
from ..latex.names import dim_latex, symbol_latex
from ..render.formulas import derivative_latex
from ..sheets.space import concrete
from ..tree import algebra as alg
from ..tree.nodes import Dim, Expr, Grad, Sym
from ..tree.text import to_text
from .distractors import same, sample_points, values_at
from .html import inline, key_html
from .items import Item, Source

STACK_KINDS = ("closed-form", "numeric")  # shape and fill-step answers are not matrices: the Moodle export has them
INPUT, PRT = "ans1", "prt1"
PENALTY = 0.1  # the question's penalty: what STACK deducts for a wrong try in an interactive quiz
INPUT_LIKE = re.compile(r"ans\d+")  # STACK's input names: a question variable so named clashes with an input


@dataclass(frozen=True)
class Node:
    """One node of the potential response tree: AlgEquiv of the answer with `target`, and what a match means."""

    target: str  # Maxima, in terms of ta
    expr: Expr  # the same as a tree, to find mcgen's feedback and to drop nodes that coincide
    score: float
    note: str
    feedback: str


@dataclass(frozen=True)
class Stated:
    """A variant in Maxima: sizes, each symbol's matrix (of unknowns, or of the numeric exercise's data), the key."""

    sizes: Mapping[Dim, int]
    variables: tuple[tuple[str, str], ...]  # (Maxima variable, its definition), in order
    unknowns: Mapping[str, tuple[tuple[str, ...], ...]]  # symbol or named gradient → its entries' unknowns
    ta: str
    shown: tuple[tuple[str, str], ...]  # (LaTeX name, Maxima variable) of each matrix the question displays


def exportable(item: Item) -> str | None:
    """Why a variant cannot be a STACK question, or None when it can."""
    if item.kind not in STACK_KINDS:
        return f"a {item.kind} exercise has no matrix answer"
    try:
        stated(item)
    except GeneratorError as err:
        return str(err)
    return None


def stated(item: Item) -> Stated:
    """The variant at concrete sizes (the numeric exercise's own, else the smallest distinct ones from 2)."""
    d, ex = item.exercise.derivation, item.exercise
    dims = sorted({x for s in d.scope.symbols.values() for x in s.shape if isinstance(x, str)} |
                  {x for f in d.scope.functions.values() if f.shape for x in f.shape if isinstance(x, str)})
    sizes = dict(concrete(tuple((x, x) for x in dims)))
    grads = {g.name: g for g in d.closed_form.walk() if isinstance(g, Grad) and g.name}
    names: dict[str, str] = {}
    for name in (*d.scope.symbols, *grads):
        names[name] = _variable(name, names.values())
    taken = set(names.values())
    variables, unknowns, shown = [], {}, []
    for name, sym in d.scope.symbols.items():
        if name in ex.data:
            rows = tuple(tuple(str(x) for x in row) for row in ex.data[name])
        else:
            rows = _unknowns(sym, names[name], sizes, taken)
            unknowns[name] = rows
        if sym.shape != (1, 1) or name in ex.data:
            variables.append((names[name], _matrix(rows, sym.shape == (1, 1))))
            shown.append((symbol_latex(name, sym.shape), names[name]))
    for name, g in sorted(grads.items()):
        rows = _unknowns(Sym(name, g.shape), names[name], sizes, taken)
        unknowns[name] = rows
        variables.append((names[name], _matrix(rows, False)))
        shown.append((symbol_latex(name, g.shape), names[name]))
    ta = MaximaPrinter(sizes, names).code(d.closed_form)
    return Stated(sizes, tuple(variables), unknowns, ta, tuple(shown))


def _variable(name: str, taken) -> str:
    """The Maxima variable of a symbol in a STACK question: Maxima's and STACK's own words (lambda, pi, ta) and the
    input's names (ans1, ans2, …) get a trailing _, as does a name another symbol's variable already has."""
    out = maxima_name(name)
    while INPUT_LIKE.fullmatch(out) or out in taken:
        out += "_"
    return out


def _unknowns(sym: Sym, variable: str, sizes: Mapping[Dim, int], taken: set[str]) -> tuple[tuple[str, ...], ...]:
    """w11, w12, … for W (w1, w2, … for a vector); symmetric entries shared, a probability vector's last entry
    1 − the others, a 1×1 symbol the unknown itself (its variable)."""
    rows, cols = (x if isinstance(x, int) else sizes[x] for x in sym.shape)
    if (rows, cols) == (1, 1):
        return ((variable,),)
    vector = rows == 1 or cols == 1

    def grid(base: str) -> list[list[str]]:
        def entry(i: int, j: int) -> str:
            if vector:
                return f"{base}{max(i, j) + 1}"
            i, j = (min(i, j), max(i, j)) if sym.props & {"symmetric", "spd"} else (i, j)
            return f"{base}{i + 1}{j + 1}"
        return [[entry(i, j) for j in range(cols)] for i in range(rows)]

    base = sym.name.lower()
    while any(x in taken or INPUT_LIKE.fullmatch(x) for row in grid(base) for x in row):
        base += "_"
    cells = grid(base)
    taken.update(x for row in cells for x in row)
    if "probability" in sym.props:
        flat = [x for row in cells for x in row]
        last = "1 - " + " - ".join(flat[:-1])
        cells = [[last if x == flat[-1] else x for x in row] for row in cells]
    return tuple(tuple(row) for row in cells)


def _matrix(rows: tuple[tuple[str, ...], ...], scalar: bool) -> str:
    return rows[0][0] if scalar else "matrix(" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + ")"


def nodes(item: Item) -> tuple[Node, ...]:
    """AlgEquiv against the key, the transposed key, the negated key and scaled keys — each kept only where it
    differs numerically from the ones before (a symmetric key is its own transpose)."""
    d = item.exercise.derivation
    key = d.closed_form
    wanted = [("ta", key, "correct"), ("transpose(ta)", alg.transpose(key), "layout"), ("-ta", alg.neg(key), "sign"),
              ("2*ta", alg.mul(alg.const(2), key), "scale-2"),
              ("ta/2", alg.mul(alg.const(Fraction(1, 2)), key), "scale-1/2")]
    points = sample_points(d, item.exercise.variant.seed)
    out: list[Node] = []
    seen: list = []
    for target, expr, note in wanted:
        values = values_at(expr, d, points)
        if values is None or any(same(values, v) for v in seen):
            continue
        seen.append(values)
        verdict = grade(to_text(expr, d.layout), d)
        if (verdict.mistake or "correct") != note.split("-")[0]:
            raise GeneratorError(f"{item.id}: mcgen grades the STACK node {target} as {verdict.mistake}, not {note}")
        score = 1.0 if verdict.correct else DEFAULT_CREDIT.get(verdict.mistake or "", 0.0)
        out.append(Node(target, expr, score, note, verdict.feedback))
    return tuple(out)


def stack_xml(source: Source) -> tuple[bytes, list[str]]:
    """The STACK questions of the items that have a matrix answer, and a note for each item left out."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(category, "category"), f"$course$/top/{source.name} (STACK)")
    notes = []
    for item in source.items:
        why = exportable(item)
        if why is not None:
            notes.append(f"{item.id}: not a STACK question: {why}")
            continue
        _question(quiz, item)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="UTF-8", xml_declaration=True) + b"\n", notes


def _text(parent: ET.Element, text: str) -> ET.Element:
    ET.SubElement(parent, "text").text = text
    return parent


def _field(parent: ET.Element, tag: str, text: str, fmt: str | None = None) -> None:
    element = ET.SubElement(parent, tag, format=fmt) if fmt else ET.SubElement(parent, tag)
    _text(element, text)


def _simple(parent: ET.Element, **fields: str) -> None:
    for tag, value in fields.items():
        ET.SubElement(parent, tag).text = value


def _question(quiz: ET.Element, item: Item) -> None:
    view, st = item.view, stated(item)
    q = ET.SubElement(quiz, "question", type="stack")
    _text(ET.SubElement(q, "name"), f"{item.id}: {view.title}")
    _field(q, "questiontext", _question_text(item, st), "html")
    _field(q, "generalfeedback", key_html(view), "html")
    _simple(q, defaultgrade="1", penalty=f"{PENALTY:g}", hidden="0", idnumber=item.id)
    _field(q, "questionvariables", "\n".join(f"{name}: {value};" for name, value in st.variables) + f"\nta: {st.ta};")
    _field(q, "specificfeedback", f"[[feedback:{PRT}]]", "html")
    _field(q, "questionnote", "{@ta@}", "html")
    _simple(q, questionsimplify="1", assumepositive="0", assumereal="1")
    for tag, words in (("prtcorrect", "Correct."), ("prtpartiallycorrect", "Partly correct."),
                       ("prtincorrect", "Not correct.")):
        _field(q, tag, words, "html")
    _simple(q, multiplicationsign="dot", sqrtsign="1", complexno="i", inversetrig="cos-1", logicsymbol="lang",
            matrixparens="[", variantsselectionseed="")
    answer = ET.SubElement(q, "input")
    _simple(answer, name=INPUT, type="varmatrix", tans="ta", boxsize="20", strictsyntax="1", insertstars="0",
            syntaxhint="", syntaxattribute="0", forbidwords="", allowwords="", forbidfloat="1",
            requirelowestterms="0", checkanswertype="0", mustverify="1", showvalidation="1", options="")
    tree = nodes(item)
    _prt(q, tree)
    for k, node in enumerate(tree, 1):
        test = ET.SubElement(q, "qtest")
        _simple(test, testcase=str(k), description=f"mcgen: {node.note}")
        entered = ET.SubElement(test, "testinput")
        _simple(entered, name=INPUT, value=node.target)
        expected = ET.SubElement(test, "expected")
        _simple(expected, name=PRT, expectedscore=f"{node.score:.7f}", expectedpenalty=f"{0:.7f}",
                expectedanswernote=node.note)


def _prt(q: ET.Element, tree: tuple[Node, ...]) -> None:
    """One node per target. Every penalty is written out, since an empty one is the question's: a match scores
    the node's credit with penalty 0 (what the question tests expect), a miss moves on to the next node with
    penalty 0, and only the last miss (no target matched) costs the question's penalty."""
    none = f"{0:.7f}"
    prt = ET.SubElement(q, "prt")
    _simple(prt, name=PRT, value="1.0000000", autosimplify="1", feedbackstyle="1")
    _field(prt, "feedbackvariables", "")
    for k, node in enumerate(tree):
        last = k == len(tree) - 1
        n = ET.SubElement(prt, "node")
        _simple(n, name=str(k), description=f"mcgen: {node.note}", answertest="AlgEquiv", sans=INPUT,
                tans=node.target, testoptions="", quiet="0", truescoremode="=", truescore=f"{node.score:.7f}",
                truepenalty=none, truenextnode="-1", trueanswernote=node.note)
        _field(n, "truefeedback", node.feedback, "html")
        _simple(n, falsescoremode="=", falsescore="0.0000000", falsepenalty=f"{PENALTY:.7f}" if last else none,
                falsenextnode="-1" if last else str(k + 1), falseanswernote=f"{PRT}-{k + 1}-F")
        _field(n, "falsefeedback", "Your answer is not equal to the derivative." if last else "", "html")


def _question_text(item: Item, st: Stated) -> str:
    d, view = item.exercise.derivation, item.view
    matrices = [f"{inline(shown)} = {{@{maxima}@}}" for shown, maxima in st.shown]
    sizes = ", ".join(f"{inline(dim_latex(x) + ' = ' + str(n))}" for x, n in sorted(st.sizes.items(), key=str)
                      if isinstance(x, str))
    statement = " and ".join(inline(s) for s in view.statement)
    givens = "".join(f"<p>{inline(g)}</p>" for g in view.givens)
    return (f"<p>Let {', '.join(matrices)}{' (so ' + sizes + ')' if sizes else ''} and {statement}.</p>{givens}"
            f"<p>Enter {inline(derivative_latex(d))} in the {d.layout} layout as a matrix: its entries separated "
            f"by spaces, one row per line.</p><p>[[input:{INPUT}]]</p><div>[[validation:{INPUT}]]</div>")

