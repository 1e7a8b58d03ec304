"""The layering of DESIGN.md §2, read from the source with `ast`.

The library (`pipeline`) depends on no model, entry point or orchestrator; the
classifiers depend on the library only, never on the document generator; the
runtime shared by the command line and the flows stays free of Prefect. Every
import counts: at module top or inside a function, `import a.b`, `from a import
b`, relative imports, and `importlib.import_module("a.b")` with a literal name.
Text that merely looks like an import (a docstring, a comment) does not.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The first-party top-level packages, from the library up to the entry points.
PACKAGES = ("pipeline", "classifiers", "runtime", "training", "fixtures", "flows", "justif", "ops")

# What each package must never import (by top-level name).
FORBIDDEN: dict[str, frozenset[str]] = {
    "pipeline": frozenset(
        {"classifiers", "flows", "justif", "prefect", "runtime", "training", "fixtures", "ops"}
    ),
    "classifiers": frozenset(
        {"fixtures", "flows", "justif", "prefect", "runtime", "training", "ops"}
    ),
    # The command line reads files through the runtime: Prefect loads only when a flow runs.
    "runtime": frozenset({"prefect", "flows", "justif", "fixtures", "training", "ops"}),
}

# What only the document generator, training and evaluation need (pyproject's [train]).
TRAIN_EXTRA = frozenset({"faker", "reportlab", "fontTools", "matplotlib"})

# Third-party libraries that one module alone may import: one door to each.
DOORS = {"minio": "pipeline.store.storage", "pytesseract": "pipeline.read.ocr"}
DOOR_SCOPE = ("pipeline", "classifiers", "runtime", "training", "flows", "justif")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module (or module.name for `from module import name`)
    line: int


def modules_of(root: Path, package: str) -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every Python file of `package` under `root`."""
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imports_in(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import a module's source makes, wherever it stands in the file."""
    found: list[Import] = []
    # The package that relative imports start from.
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(module, base, node.lineno))
            found += [Import(module, f"{base}.{alias.name}", node.lineno) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and _is_import_call(node.func)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(module, node.args[0].value, node.lineno))
    return found


def _is_import_call(func: ast.expr) -> bool:
    """`importlib.import_module(...)`, `import_module(...)` or `__import__(...)`."""
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def all_imports(root: Path, packages: Iterable[str]) -> list[Import]:
    found: list[Import] = []
    for package in packages:
        if not (root / package).is_dir():
            continue
        for module, path in modules_of(root, package):
            source = path.read_text(encoding="utf-8")
            found += imports_in(source, module, is_package=path.name == "__init__.py")
    return found


def layer_violations(root: Path, forbidden: dict[str, frozenset[str]] = FORBIDDEN) -> list[str]:
    """'module:line imports target' for each import a package may not make."""
    return sorted(
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports(root, forbidden)
        if i.target.split(".")[0] in forbidden[i.module.split(".")[0]]
    )


def door_violations(
    root: Path, doors: dict[str, str] = DOORS, scope: Iterable[str] = DOOR_SCOPE
) -> list[str]:
    return sorted(
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports(root, scope)
        if i.target.split(".")[0] in doors and i.module != doors[i.target.split(".")[0]]
    )


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of `graph` as [a, b, ..., a], or [] when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def package_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Which first-party top-level package imports which."""
    names = set(packages)
    graph: dict[str, set[str]] = {name: set() for name in names}
    for i in all_imports(root, names):
        source, target = i.module.split(".")[0], i.target.split(".")[0]
        if target in names and target != source:
            graph[source].add(target)
    return graph


def module_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Which module of `package` imports which other module of it."""
    modules = {name for name, _ in modules_of(root, package)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for i in all_imports(root, [package]):
        # `from justif import demo` names a module; `from justif.demo import run` a name in one.
        target = i.target if i.target in modules else i.target.rpartition(".")[0]
        if target in modules and target != i.module and target != package:
            graph[i.module].add(target)
    return graph


# --- the rules, on this repository ---


def test_library_and_classifiers_import_no_entry_point_orchestrator_or_generator() -> None:
    assert layer_violations(ROOT) == []


def test_one_door_to_minio_and_to_pytesseract() -> None:
    assert door_violations(ROOT) == []


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(ROOT)
    # The graph is read from the real tree (an empty one would pass vacuously).
    assert {"pipeline"} <= graph["classifiers"] and {"flows", "runtime"} <= graph["justif"]
    assert find_cycle(graph) == []


@pytest.mark.parametrize("package", ["justif", "runtime", "flows", "classifiers", "training"])
def test_no_import_cycle_inside_entry_points_and_classifiers(package: str) -> None:
    assert find_cycle(module_graph(ROOT, package)) == []


def test_inspect_path_loads_neither_prefect_nor_the_generator(tmp_path: Path) -> None:
    """`justif inspect` of a born-digital PDF, in a fresh interpreter, as a user runs it,
    with the `[train]` extra made unimportable: checking documents needs none of it."""
    pdf = tmp_path / "attestation.pdf"
    pdf.write_bytes(_one_page_pdf("Attestation de domicile"))
    code = (
        "import importlib.abc, sys\n"
        "class NoTrainExtra(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(TRAIN_EXTRA)!r}:\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoTrainExtra())\n"
        "import classifiers.doctype.store, runtime\n"
        "from justif.cli import app\n"
        f"sys.argv = ['justif', 'inspect', '--json', '--no-cache', {str(pdf)!r}]\n"
        "try:\n"
        "    app()\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print('LOADED', ','.join(sorted(loaded & {'prefect', 'flows', 'fixtures', 'training'})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert '"file"' in result.stdout  # the file was really read and reported
    [loaded] = [line for line in result.stdout.splitlines() if line.startswith("LOADED")]
    assert loaded == "LOADED ", loaded


def _one_page_pdf(text: str) -> bytes:
    """A minimal born-digital PDF with one line of text (no generator needed)."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- the checker itself: it must see what is planted, and only that ---


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_checker_catches_planted_violations_and_ignores_lookalike_text(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        {
            "pipeline/__init__.py": '"""Says `import prefect` and `from flows import x`."""\n',
            "pipeline/read/__init__.py": "",
            # Hidden inside a function, among other names, relative, or by a string call.
            "pipeline/read/late.py": "def f():\n    import os, prefect.flows\n",
            "pipeline/read/relative.py": "from ...classifiers.doctype import store\n",
            "pipeline/dynamic.py": (
                "import importlib\nmod = importlib.import_module('justif.cli')\n"
            ),
            "pipeline/fine.py": "# import flows\ntext = 'from justif import cli'\nimport numpy\n",
            "classifiers/__init__.py": "",
            "classifiers/data.py": "from fixtures.generator.api import generate_document\n",
            "classifiers/ok.py": "def f():\n    from pipeline.types import PieceReading\n",
            "runtime/__init__.py": "def f():\n    from prefect import flow\n",
            "flows/__init__.py": "import minio\n",
            "justif/__init__.py": "",
            "justif/cli.py": "from justif import demo\n",
            "justif/demo.py": "def run():\n    from justif.cli import run_check\n",
        },
    )
    assert layer_violations(tmp_path) == [
        "classifiers.data:1 imports fixtures.generator.api",
        "classifiers.data:1 imports fixtures.generator.api.generate_document",
        "pipeline.dynamic:2 imports justif.cli",
        "pipeline.read.late:2 imports prefect.flows",
        "pipeline.read.relative:1 imports classifiers.doctype",
        "pipeline.read.relative:1 imports classifiers.doctype.store",
        "runtime:2 imports prefect",
        "runtime:2 imports prefect.flow",
    ]
    assert door_violations(tmp_path) == ["flows:1 imports minio"]
    assert find_cycle(module_graph(tmp_path, "justif")) == [
        "justif.cli",
        "justif.demo",
        "justif.cli",
    ]
    # pipeline.read.relative imports classifiers, which import pipeline.
    assert find_cycle(package_graph(tmp_path)) == ["classifiers", "pipeline", "classifiers"]
