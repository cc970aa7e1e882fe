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

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def block(marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\s*```[a-z]*\n(.*?)```\s*<!-- /{marker} -->", README, re.S)
    assert m, f"README.md has no fenced block between <!-- {marker} --> markers"
    return m.group(1)


def requirement_lines(path: Path) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def test_the_quick_start_runs_and_prints_what_the_readme_shows(capsys):
    exec(compile(block("quick-start"), "README quick start", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out  # and its own assert (estimate within 4 s.e.) held
    shown = re.search(r"<!-- /quick-start -->\s*```text\n(.*?)```", README, re.S)
    assert shown and printed == shown.group(1), f"README shows other output than:\n{printed}"


def test_the_commands_ci_and_the_book_run_are_in_the_readme():
    assert block("test-command").strip() == "pip install -r requirements.lock && pytest"
    assert block("book-command").strip() == "python book/build.py"
    assert "python -m pgbook.student" in block("student-edition")
    assert "--allow-root" in README


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
