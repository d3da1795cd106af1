"""The README and docs/ pages: the Layout table matches the tree, every relative link and every
command path they name exists, and the README stays short."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "experiments" / "README.md"]


def _layout_rows():
    text = (ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| `")]


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_layout_path_exists_and_every_package_part_is_listed():
    listed = {re.match(r"\| `([^`]+)`", row).group(1) for row in _layout_rows()}
    for path in listed:
        assert (ROOT / path).exists(), f"README Layout lists {path}, which does not exist"
    parts = {f"pse_tf/{p.name}" + ("/" if p.is_dir() else "") for p in (ROOT / "pse_tf").iterdir()
             if p.name not in ("__init__.py", "__pycache__")}
    assert parts <= listed, f"not in the README Layout: {sorted(parts - listed)}"
    scripts = {p.stem for p in (ROOT / "scripts").glob("*.py")}
    scripts_row = next(row for row in _layout_rows() if row.startswith("| `scripts/`"))
    assert {s for s in scripts if f"`{s}`" not in scripts_row} == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_named_scripts_exist(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) + \
            re.findall(r'src="([^"]+)"', text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
    # A path after "its" names a file of another project (e.g. Vedantam et al.'s code).
    for script in re.findall(r"(?<![\w/.])(?<!its `)((?:scripts|experiments)/[\w/]+\.py)\b", text):
        assert (ROOT / script).is_file(), f"{page.name} names missing {script}"
