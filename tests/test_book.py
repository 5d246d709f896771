"""Repository hygiene: the table of contents, notebooks and configuration stay consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for value in node.values():
            files += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += _toc_files(item)
    return files


def _resolve(entry: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{entry}{suffix}"
        if path.exists():
            return path
    return None


def test_every_toc_entry_exists():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"], *_toc_files(toc["parts"])]
    missing = [e for e in entries if _resolve(e) is None]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_every_chapter_file_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = {str(_resolve(e).relative_to(ROOT)) for e in _toc_files(toc["parts"])}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "chapters").rglob("*") if p.suffix in (".md", ".ipynb")
               and ".ipynb_checkpoints" not in p.parts}
    assert on_disk <= listed, f"not in _toc.yml: {sorted(on_disk - listed)}"


def test_repository_url_is_set_in_one_place():
    text = (ROOT / "_config.yml").read_text()
    assert len(re.findall(r"https://github\.com/", text)) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    with_outputs = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c.get("outputs")]
    assert not with_outputs, f"{path.name}: cells {with_outputs} have stored outputs (strip them)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_house_structure(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    src = lambda c: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]  # noqa: E731
    assert cells[0]["cell_type"] == "markdown" and src(cells[0]).startswith("# ")
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert "seed_everything" in src(first_code), "the first code cell seeds everything"
    text = "\n".join(src(c) for c in cells)
    assert "remove-cell" in json.dumps([c.get("metadata", {}) for c in cells]), "claims must be asserted in remove-cell cells"
    assert "{exercise}" in text and "check(" in text, "each section has checked exercises"
    assert re.search(r"^#+ Summary", text, re.M), "each section ends with a summary"
    assert re.search(r"\{cite(:[a-z]+)?\}", text), "each section cites its sources"
    assert "http://" not in text.replace("http://localhost", ""), "no network access from notebooks"


def _checked_ids() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            for ex_id in re.findall(r"""check\(\s*["'](\d\d\.\w+)["']""", "".join(cell["source"])):
                found.setdefault(ex_id, []).append(path.name)
    return found


def test_every_registered_exercise_is_checked_in_exactly_one_notebook():
    """No orphan checkers (an exercise the reader never meets) and no typo'd ids in the book."""
    from dlnotes.exercises import registry

    found = _checked_ids()
    chapters = {p.parent.name[:2] for p in NOTEBOOKS}
    registered = {ex_id for ex_id in registry() if ex_id[:2] in chapters}
    assert sorted(set(found) - set(registry())) == [], "check() calls with unknown exercise ids"
    assert sorted(registered - set(found)) == [], "registered exercises that no notebook checks"
    assert {k: v for k, v in found.items() if len(v) > 1} == {}, "exercises checked in several notebooks"
