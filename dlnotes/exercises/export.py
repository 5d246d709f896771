"""Student export: copies of the chapter notebooks with every solution removed.

A solution in a notebook is a block of cells that starts with a Markdown cell holding a
``{solution-start}`` directive and ends with a Markdown cell holding ``{solution-end}``. Every code
cell inside carries the tag ``solution`` and starts with the marker line ``# SOLUTION``. The
export drops the whole block. The exercise cell before it (a stub whose body is ``...``) and the
``check(...)`` cell after it stay, so the student notebook still runs from top to bottom and each
check reports "not implemented yet" until the student fills the stub in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOLUTION_TAG = "solution"
SOLUTION_MARKER = "# SOLUTION"
_START = "{solution-start}"
_END = "{solution-end}"

STUDENT_BANNER = (
    "```{note}\n"
    "**Student version.** Solutions have been removed. Fill in every `...` and run the `check(...)` "
    "cell after it: it tells you whether your answer is right and, if not, what is probably wrong.\n"
    "```"
)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solution_blocks(nb: dict[str, Any]) -> list[tuple[int, int]]:
    """Return the (start, end) cell indices of every solution block (inclusive).

    Raises ``ValueError`` on an unterminated or nested block.
    """
    blocks, start = [], None
    for i, cell in enumerate(nb.get("cells", [])):
        text = _source(cell) if cell.get("cell_type") == "markdown" else ""
        if _START in text:
            if start is not None:
                raise ValueError(f"solution block starting at cell {start} is not closed before cell {i}")
            start = i
        if _END in text:
            if start is None:
                raise ValueError(f"cell {i} ends a solution block that was never started")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"solution block starting at cell {start} is never closed")
    return blocks


def check_solution_cells(nb: dict[str, Any]) -> list[str]:
    """Problems with the solution markup of ``nb`` (empty list if all is well).

    Inside a block every code cell must carry the tag and the marker; outside, none may.
    """
    problems = []
    inside = set()
    for start, end in solution_blocks(nb):
        inside.update(range(start, end + 1))
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        tagged = SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])
        marked = _source(cell).lstrip().startswith(SOLUTION_MARKER)
        if i in inside and not (tagged and marked):
            problems.append(f"cell {i} is inside a solution block but lacks the '{SOLUTION_TAG}' tag or the '{SOLUTION_MARKER}' line")
        if i not in inside and (tagged or marked):
            problems.append(f"cell {i} is marked as a solution but is outside any solution block")
    return problems


def strip_solutions(nb: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``nb`` without solution blocks, stray solution cells, or outputs."""
    drop = set()
    for start, end in solution_blocks(nb):
        drop.update(range(start, end + 1))
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if i in drop or SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        cell = json.loads(json.dumps(cell))
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    out = dict(nb)
    banner = {"cell_type": "markdown", "id": "student-banner", "metadata": {"tags": ["student-banner"]}, "source": STUDENT_BANNER}
    if cells and cells[0].get("cell_type") == "markdown":
        cells.insert(1, banner)
    else:
        cells.insert(0, banner)
    out["cells"] = cells
    return out


def export(src_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write student copies of every notebook below ``src_dir`` into ``out_dir``.

    The folder structure is kept. Returns the paths written. Raises ``ValueError`` if a notebook's
    solution markup is inconsistent (so that no solution can leak through a typo).
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise ValueError(f"export: src_dir must be an existing folder, got {str(src)!r}")
    written = []
    for path in sorted(src.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        problems = check_solution_cells(nb)
        if problems:
            raise ValueError(f"export: {path}: " + "; ".join(problems))
        target = out / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(strip_solutions(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written
