"""Finding a reported node from one statement's positions finds what the whole module's find."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from publisher_check.config import Config
from publisher_check.fixes.codemods import FixTarget
from publisher_check.ftypes import Severity, Violation

REPO = Path(__file__).resolve().parents[2]
KINDS: tuple[type[cst.CSTNode], ...] = (cst.Call, cst.FunctionDef, cst.ClassDef, cst.Decorator)

TRICKY = '''\
"""Module docstring."""
import os; import sys  # two statements on one line


# a comment owned by the class below

@decorator(one=1)
# a comment between decorators
@other
class Outer(Base, metaclass=Meta):
    """Doc."""

    X = 1; Y = call()

    class Inner: pass

    # a comment before a method
    @property
    def name(self) -> str:  # trailing
        def nested(a=make()):
            return helper(a)(b)
        return nested(  # multi-line call
            "é", 'ü',
        )

    if sys.version_info >= (3, 11):
        def conditional(self):
            return go()

    async def run(self):
        async with lock():
            await thing()
    # a comment at the end of the class


def späť(x):
\treturn x.y(z())


class OneLine: x = f()
'''


def _targets(code: bytes) -> FixTarget:
    return FixTarget(cst.parse_module(code), Config(), count_only=True, text=code.decode("utf-8"))


def _violation(line: int, column: int) -> Violation:
    return Violation(Path("x.py"), line, column, "PUB000", "", "", Severity.ERROR, None)


def _sources() -> list[tuple[str, bytes]]:
    files = sorted((REPO / "reference_impl").glob("*.py")) + sorted((REPO / "checker" / "fixes").glob("*.py"))
    found = [(path.name, path.read_bytes()) for path in files if path.name != "__init__.py"]
    found.append(("tricky.py", TRICKY.encode()))
    found.append(("tricky-crlf.py", TRICKY.replace("\n", "\r\n").encode()))
    return found


@pytest.mark.parametrize(("name", "code"), _sources(), ids=[name for name, _ in _sources()])
def test_every_node_is_found_where_whole_module_positions_put_it(name: str, code: bytes) -> None:
    target = _targets(code)
    index = target._index(target._positions)  # the whole module's answer, as before regions
    checked = 0
    for (line, column), nodes in index.items():
        for kind in KINDS:
            expected = {id(n) for n in nodes if isinstance(n, kind)}
            if not expected:
                continue
            found = target.nodes_at(_violation(line, column), kind)
            assert {id(n) for n in found} == expected, f"{name}:{line}:{column} {kind.__name__}"
            for node in found:
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):  # its holder, as the whole-module walk finds it
                    assert target.parent(node) is target._parents[node], f"{name}:{line}:{column} holder"
            checked += 1
    assert checked > 5


def test_a_class_name_is_found_without_generating_its_body() -> None:
    body = "".join(f"    def m{i}(self) -> None:\n        call_{i}()\n\n" for i in range(200))
    code = f"class Big:\n{body}".encode()
    target = _targets(code)
    assert target.node_at(_violation(1, 7), cst.ClassDef) is not None
    calls = target.nodes_at(_violation(3, 9), cst.Call)
    assert [cst.Module([]).code_for_node(c) for c in calls] == ["call_0()"]
    assert "_positions" not in target.__dict__, "the whole module's positions were generated"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_regions_serve_every_lookup_of_an_ordinary_file(newline: str) -> None:
    """Comments between decorators, ``a; b``, nested and one-line classes, tabs, non-ASCII:
    every statement lines up with the ast, so no lookup falls back to the whole module."""
    code = TRICKY.replace("\n", newline).encode()
    whole = _targets(code)
    places = [(place, nodes) for place, nodes in whole._index(whole._positions).items()]
    target = _targets(code)
    for (line, column), nodes in places:
        for kind in KINDS:
            if any(isinstance(node, kind) for node in nodes):
                assert target.nodes_at(_violation(line, column), kind)
    assert "_positions" not in target.__dict__
