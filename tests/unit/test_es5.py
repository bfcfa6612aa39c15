"""Our own JavaScript runs on Android 5-era WebViews (Chrome 37-ish): ES5 only, no build
step. A syntax check at ES5 level (pyjsparser parses ECMAScript 5.1), plus the ES2015+
declarations and library calls that parse as ES5 but fail on those WebViews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tools import need_module

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"
# Loaded by the tablet and the room screen (and the chair console, which shares live.js).
ROOM_SCRIPTS = ("live.js", "tablet.js", "screen.js", "pageview.js", "chair.js", "screen-pair.js")
# Globals that do not exist in ES5 browsers.
ES2015_GLOBALS = {"Promise", "fetch", "Symbol", "Map", "Set", "WeakMap", "Proxy", "Reflect"}
# Methods added after ES5 / Chrome 37 that our code could call by habit.
LATER_METHODS = {
    "includes",
    "startsWith",
    "endsWith",
    "padStart",
    "padEnd",
    "repeat",
    "assign",
    "findIndex",
    "replaceChildren",
    "append",
    "prepend",
    "closest",
    "toggleAttribute",
}


def scripts() -> list[Path]:
    return sorted(p for p in STATIC_JS.glob("*.js"))


def walk(tree: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"kinds": set(), "names": set(), "members": set(), "other": set()}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "VariableDeclaration":
                found["kinds"].add(node["kind"])
            elif kind == "Identifier":
                found["names"].add(node["name"])
            elif kind == "MemberExpression" and not node.get("computed"):
                found["members"].add(node["property"].get("name", ""))
            if node.get("defaults"):
                found["other"].add("default parameters")
            if kind in ("ForOfStatement", "SpreadElement", "RestElement", "TemplateLiteral"):
                found["other"].add(kind)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(tree)
    return found


@pytest.mark.parametrize("path", scripts(), ids=lambda p: p.name)
def test_every_script_of_ours_is_es5(path: Path) -> None:
    pyjsparser = need_module("pyjsparser", "checks our JavaScript at ES5 level")
    source = path.read_text(encoding="utf-8")
    try:
        tree = pyjsparser.parse(source)  # arrows, classes, template strings fail here
    except Exception as error:  # pyjsparser raises its own JsSyntaxError
        pytest.fail(f"{path.name} is not ES5: {error}")
    found = walk(tree)
    assert found["kinds"] <= {"var"}, path.name  # pyjsparser reads let and const
    assert found["other"] == set(), path.name
    assert found["names"] & ES2015_GLOBALS == set(), path.name


@pytest.mark.parametrize("name", ROOM_SCRIPTS)
def test_room_scripts_call_nothing_old_webviews_lack(name: str) -> None:
    path = STATIC_JS / name
    assert path.exists(), f"{name} is loaded by the room's pages"
    pyjsparser = need_module("pyjsparser", "checks our JavaScript at ES5 level")
    found = walk(pyjsparser.parse(path.read_text(encoding="utf-8")))
    assert found["members"] & LATER_METHODS == set(), name


def test_the_check_catches_what_it_is_for() -> None:
    pyjsparser = need_module("pyjsparser", "checks our JavaScript at ES5 level")
    with pytest.raises(Exception, match=r"ECMA 5\.1|Unexpected"):
        pyjsparser.parse("var f = (a) => a;")
    assert walk(pyjsparser.parse("let a = 1;"))["kinds"] == {"let"}
    assert "includes" in walk(pyjsparser.parse("var b = [1].includes(1);"))["members"]
