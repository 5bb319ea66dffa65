"""The code's shape: import layers, no import circles, private names kept private, small modules.

* ``lint-imports`` (import-linter, contracts in ``pyproject.toml``): ``geo.data`` <-
  ``geo.uploads`` <- ``geo.analysis`` <- ``geo.web`` <- ``geo.outputs`` <- ``app_pages`` and
  ``geo.cli``; no import circle among the modules of any package.
* An AST walk of ``geo/`` and ``app_pages/``: no ``_private`` name of one module used by
  another (``from m import _x`` or ``m._x``), no import of the project's own modules inside a
  function (the way circles were dodged before), no module over :data:`MAX_LINES` lines.

The AST checks are tested on synthetic modules first, so they are known to fail when they
should.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "app_pages")
#: Longest module allowed in geo/ and app_pages/.
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _own(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in PACKAGES


def problems(source: str, module: str, known: set[str]) -> list[str]:
    """What is wrong with one module's imports: private names crossing modules and imports of
    the project's modules inside functions. ``known`` = every project module name."""
    tree = ast.parse(source)
    found: list[str] = []
    bound: dict[str, str] = {}  # local name -> project module it refers to

    def bind(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _own(alias.name):
                    local = alias.asname or alias.name.split(".")[0]
                    bound[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and _own(node.module):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if alias.name.startswith("_"):
                    found.append(f"line {node.lineno}: imports private {target}")
                if target in known:
                    bound[alias.asname or alias.name] = target

    for node in tree.body:
        bind(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import) and any(_own(a.name) for a in inner.names):
                    found.append(f"line {inner.lineno}: imports a project module in a function")
                if isinstance(inner, ast.ImportFrom) and _own(inner.module):
                    found.append(f"line {inner.lineno}: imports a project module in a function")
                    bind(inner)
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            base = node.value
            chain = []
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                target = ".".join([bound[base.id], *reversed(chain)])
                if target in known and target != module:
                    found.append(f"line {node.lineno}: uses private {target}.{node.attr}")
    return found


# --------------------------------------------------------------------------------------------
# the checker itself, on synthetic modules
# --------------------------------------------------------------------------------------------
KNOWN = {"geo", "geo.web", "geo.web.format", "geo.data", "geo.data.io", "app_pages.common"}


@pytest.mark.parametrize(
    "source",
    [
        "from geo.web.format import _fmt\n",
        "from geo.web import format\nx = format._fmt(1)\n",
        "import geo.web.format\nx = geo.web.format._fmt(1)\n",
        "from geo.data import io as d\nd._read.cache_clear()\n",
        "def f():\n    from geo.data import io\n",
        "def f():\n    import geo.data.io\n",
        "class C:\n    def m(self):\n        from app_pages import common\n",
    ],
)
def test_checker_finds_what_it_should(source):
    assert problems(source, "geo.analysis.x", KNOWN)


@pytest.mark.parametrize(
    "source",
    [
        "from geo.web.format import fmt\nx = fmt(1)\n",
        "from geo.data import io\nio.load_lsoas()\n",
        "import pandas as pd\nx = pd._libs\n",  # another project's privates are not ours to police
        "def f():\n    import numpy as np\n",  # lazy third-party imports are fine
        "from geo.data import io\nx = io.__name__\n",
        "def _helper():\n    return 1\n_helper()\n",  # a module's own private names
    ],
)
def test_checker_accepts_what_it_should(source):
    assert problems(source, "geo.analysis.x", KNOWN) == []


def test_own_private_names_inside_a_module_are_fine():
    assert problems("from geo.web import format\nformat._x\n", "geo.web.format", KNOWN) == []


# --------------------------------------------------------------------------------------------
# the project
# --------------------------------------------------------------------------------------------
def test_import_layers_and_no_circles():
    """import-linter's contracts in pyproject.toml (layers, acyclic siblings) are kept."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_private_names_across_modules_and_no_imports_in_functions():
    modules = _modules()
    found = {
        name: issues
        for name, path in modules.items()
        if (issues := problems(path.read_text(encoding="utf-8"), name, set(modules)))
    }
    assert found == {}


def test_no_module_over_800_lines():
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_only_the_ui_imports_streamlit():
    """Everything in geo/ is plain functions: no module of it imports streamlit."""
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("geo"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(m.split(".")[0] in ("streamlit", "streamlit_folium") for m in mods):
                offenders.append(name)
    assert offenders == []
