"""The one visitor idiom: dispatch by node class to `visit_<Class>`; a class a visitor does not handle is an error."""
from __future__ import annotations

from typing import Any, ClassVar, Generic, NoReturn, TypeVar

R = TypeVar("R")


class Visitor(Generic[R]):
    """Walks one family of node classes (expression nodes, formula parts, …).

    A subclass defines `visit_<Class>(self, node, *args)` for every class of its `family`; the
    dispatch table is built once per subclass, so `visit` costs one dictionary lookup. A node
    with no method goes to `unhandled`, which raises; a visitor that refuses some nodes on
    purpose (the engine has no rule for a derivative of a derivative) says so in a method of
    its own, so the test that every visitor handles every class of its family can hold.
    """

    family: ClassVar[tuple[type, ...]] = ()
    _table: ClassVar[dict[type, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = {name: getattr(cls, name) for name in dir(cls) if name.startswith("visit_")}
        cls._table = {k: names[f"visit_{k.__name__}"] for k in cls.family if f"visit_{k.__name__}" in names}

    def visit(self, node: Any, *args: Any) -> R:
        """The result of this visitor's method for the node's class."""
        method = self._table.get(type(node))
        if method is None:
            self.unhandled(node)
        return method(self, node, *args)

    def unhandled(self, node: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} has no method for {type(node).__name__}")

    @classmethod
    def missing(cls) -> list[str]:
        """The classes of the family this visitor has no method for (a test keeps this empty)."""
        return [k.__name__ for k in cls.family if k not in cls._table]


class Shared(Visitor[R]):
    """A visitor that computes each node object once: a subtree shared by several parents (a named
    intermediate, a reused product) is walked once however often it is reached.

    `once(node)` is the memoised entry; `compute(node)` is what is stored (the visit itself unless a
    subclass adds a check or a bound). The node is kept beside its result, so its id is never reused
    while the memo lives.
    """

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, R]] = {}

    def once(self, node: Any) -> R:
        hit = self._memo.get(id(node))
        if hit is None:
            hit = self._memo[id(node)] = (node, self.compute(node))
        return hit[1]

    def compute(self, node: Any) -> R:
        return self.visit(node)
