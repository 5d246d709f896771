"""The dependency pins in pyproject.toml, environment.yml and constraints.txt agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if not m:
            raise AssertionError(f"not an exact pin: {line!r}")
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    lines = list(project["dependencies"])
    for group, reqs in project["optional-dependencies"].items():
        lines += [r for r in reqs if not r.startswith("dlnotes")]
    return _parse_pins(lines)


def environment_pins() -> dict[str, str]:
    lines, in_pip = [], False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        stripped = raw.strip()
        if stripped.startswith("- pip:"):
            in_pip = True
            continue
        if in_pip and stripped.startswith("- "):
            lines.append(stripped[2:].strip())
    return _parse_pins(lines)


def test_pyproject_pins_everything_exactly():
    pins = pyproject_pins()
    for required in ("torch", "numpy", "scipy", "scikit-learn", "matplotlib", "jupyterlab", "jupyter-book",
                     "myst-nb", "sphinx-exercise", "sphinx-togglebutton", "nbval", "pytest", "hypothesis", "tqdm"):
        assert required in pins, f"{required} is not pinned in pyproject.toml"
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1."), "the book is built with Jupyter Book 1.x"


def test_environment_yml_matches_pyproject():
    assert environment_pins() == pyproject_pins()


def test_constraints_agree_with_pyproject():
    constraints = _parse_pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in pyproject_pins().items():
        assert constraints.get(name) == version, f"constraints.txt pins {name}=={constraints.get(name)}, pyproject {version}"


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, pinned in pyproject_pins().items():
        installed = version(name).split("+")[0]
        assert installed == pinned, f"{name}: installed {installed}, pinned {pinned}; run `make install`"


@pytest.mark.parametrize("bad", ["numpy>=2", "numpy"])
def test_parse_pins_rejects_loose_requirements(bad):
    with pytest.raises(AssertionError, match="not an exact pin"):
        _parse_pins([bad])
