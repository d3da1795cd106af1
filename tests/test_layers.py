"""Dependencies point down: no module of pse_tf/ imports what stands above it (a job of many runs,
a run's life, the front ends), nor the applications beside it (reproduction/, scripts/,
experiments/)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pse_tf"
# Each layer may import only what is listed before it (and itself); `pse_tf.x` stands for x.py
# or the package x/.
ABOVE = {
    "grids": set(),  # the top of the library: many runs
    "runs": {"grids"},
    "training": {"grids", "runs"},
    "evaluation": {"grids", "runs", "training", "inference", "demo"},
    "models": {"grids", "runs", "training", "evaluation", "inference", "demo", "export"},
}
APPLICATIONS = ("reproduction", "scripts", "experiments", "tests")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_what_stands_above_it(path):
    imports = _imports(path)
    assert not {i for i in imports if i.split(".")[0] in APPLICATIONS}, path
    above = ABOVE.get(_layer(path), set())
    upward = sorted(i for i in imports if i.startswith("pse_tf.")
                    and i.split(".")[1] in above)
    assert not upward, f"{path.relative_to(PACKAGE)} imports {upward}"
