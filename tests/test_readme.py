"""What the README and the packaging files promise, checked: the quick start runs, every notebook and
every module is listed, every import of the package is declared, and the lock file pins everything
requirements.txt asks for (Binder's copy included)."""
from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from test_book import readme_block as block  # a fenced block of README.md (tests/ is on sys.path)

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_lines(path: Path) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def test_the_quick_start_runs_and_prints_what_the_readme_shows(capsys):
    scope = {"__name__": "__readme__"}
    exec(compile(block("quick-start"), "README quick start", "exec"), scope)
    printed = capsys.readouterr().out  # and its own assert (estimate within 4 s.e.) held
    shown = re.search(r"<!-- /quick-start -->\s*```text\n(.*?)```", README, re.S)
    assert shown and printed == shown.group(1), f"README shows other output than:\n{printed}"
    # it builds its MDP from arrays, and what it writes out is the book's short corridor
    import numpy as np

    import pgbook as pg

    assert "pg.TabularMDP(P, R, rho=" in block("quick-start")
    corridor, mdp = pg.envs.short_corridor(), scope["mdp"]
    for name in ("P", "R", "rho", "gamma", "terminal"):
        assert np.array_equal(getattr(mdp, name), getattr(corridor, name)), name
    assert np.array_equal(scope["policy"].phi, pg.envs.short_corridor_features())


def test_the_commands_ci_and_the_book_run_are_in_the_readme():
    assert block("test-command").strip() == "pip install -r requirements.lock && pytest"
    assert block("book-command").strip() == "python book/build.py"
    assert "python -m pgbook.student" in block("student-edition")
    assert "--allow-root" in README
    assert re.search(r"pip install -r\s+requirements\.lock nbgitpuller==\d+\.\d+\.\d+`", README), \
        "the JupyterHub recipe must pin nbgitpuller (it is not in the lock file)"


def test_every_notebook_is_in_the_readme_table():
    listed = re.findall(r"^\| `(\d\d_\w+\.ipynb)` \|", README, re.M)
    for nb in sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb")):
        assert nb.name in listed, f"README's notebook table lacks {nb.name}"
    assert listed == sorted(listed)


def test_every_public_module_is_in_the_package_table():
    section = README.split("## The package", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    package = ROOT / "pgbook"
    public = {p.stem for p in package.glob("*.py") if not p.stem.startswith("_")}
    public |= {p.name for p in package.iterdir() if (p / "__init__.py").exists() and not p.name.startswith("_")}
    assert public - listed == set(), "modules missing from README's package table"
    assert listed - public == set(), "README's package table lists modules that do not exist"


def third_party_imports() -> dict[str, str]:
    """Top-level modules that pgbook's code imports, outside the standard library and pgbook itself."""
    found = {}
    for path in (ROOT / "pgbook").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("pgbook", "__future__"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_pyproject_declares_every_third_party_module_the_package_imports():
    declared = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    for extra in PYPROJECT["project"].get("optional-dependencies", {}).values():
        declared |= {canonicalize_name(Requirement(r).name) for r in extra}
    distributions = packages_distributions()
    for module, where in third_party_imports().items():
        dists = {canonicalize_name(d) for d in distributions.get(module, [module])}
        assert dists & declared, f"{where} imports {module} ({', '.join(sorted(dists))}): declare it in pyproject.toml"


def test_pyproject_license_and_version():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), name
    import pgbook
    assert Version(pgbook.__version__)  # the one version, read by setuptools


def test_license_says_what_covers_every_folder_and_every_text():
    """LICENSE names each folder of the repository and each prose file (a new one needs a line
    there), and the third-party parts the built book ships."""
    text = " ".join((ROOT / "LICENSE").read_text(encoding="utf-8").split())
    ignored = {line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if line.strip()}
    folders = [p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in ignored | {".git"}
               and not p.name.endswith(".egg-info") and not p.name.startswith("_")]
    assert {"pgbook", "tests", "book", "notebooks", ".ci", "binder"} <= set(folders)
    for name in folders:
        assert f"{name}/" in text, f"LICENSE does not say what license covers {name}/"
    for path in [*ROOT.glob("*.md"), *(ROOT / name / "README.md" for name in folders)]:
        if not path.exists():
            continue
        assert path.relative_to(ROOT).as_posix() in text, f"LICENSE does not say what license covers {path.name}"
    for part in ("MathJax", "Apache License 2.0", "reveal.js", "SIL Open Font License 1.1", "BSD 3-Clause"):
        assert part in text, part
    assert "SPDX-License-Identifier: MIT AND CC-BY-4.0" in text
    assert (ROOT / "LICENSE-CODE").read_text().strip() in (ROOT / "LICENSE").read_text()  # the MIT text


def test_citation_cff_is_complete_and_agrees_with_the_package():
    """CITATION.cff (Citation File Format 1.2.0): its required keys, and the version and licenses of
    pyproject.toml. (It names no repository URL: none is published yet.)"""
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"] and cff["title"] and cff["authors"]
    assert all(set(a) & {"name", "family-names"} for a in cff["authors"])
    import pgbook

    assert cff["version"] == pgbook.__version__
    assert " AND ".join(cff["license"]) == PYPROJECT["project"]["license"]
    assert README.startswith(f"# {cff['title']}\n")  # one title


def pins(path: Path) -> dict[str, Version]:
    out = {}
    for line in requirement_lines(path):
        if line.startswith("-"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier  # exactly one "==" each
        assert spec.operator == "==", f"{path.name}: {line} is not an exact pin"
        out[canonicalize_name(req.name)] = Version(spec.version)
    return out


def test_the_lock_pins_every_requirement_within_its_range():
    wanted = [Requirement(line) for line in requirement_lines(ROOT / "requirements.txt")
              if not line.startswith("-")]
    locked = pins(ROOT / "requirements.lock")
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in locked, f"requirements.lock lacks {req.name}: regenerate it (CONTRIBUTING.md)"
        assert req.specifier.contains(locked[name], prereleases=True), f"{name}=={locked[name]} not in {req}"
    for req in PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["autodiff"]:
        assert canonicalize_name(Requirement(req).name) in locked, f"requirements.lock lacks {req}"
    assert "-e ." in requirement_lines(ROOT / "requirements.txt")
    assert "-e ." in requirement_lines(ROOT / "requirements.lock")


def test_binder_uses_the_same_pins_installs_the_package_and_trusts_the_notebooks():
    assert pins(ROOT / "binder" / "requirements.txt") == pins(ROOT / "requirements.lock")
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build and "jupyter trust notebooks/*.ipynb" in post_build
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
