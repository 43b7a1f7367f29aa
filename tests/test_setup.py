"""The set-up files agree: pyproject.toml, environment.yml, constraints.txt, Makefile, .ci/run."""

import pathlib
import re
import subprocess
import sys
import tomllib

import yaml

from tests.notebook_tools import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
        elif re.match(r"^[A-Za-z0-9_.-]+=[0-9]", line):  # conda's name=version
            name, version = line.split("=", 1)
            pins[_name(name)] = version.strip()
    return pins


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return conda, pip


def test_environment_yml_installs_what_pyproject_declares():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    conda, pip = _environment()
    listed = {_name(d) for d in conda + pip if not d.startswith("-")} - {"python", "pip"}
    assert declared == listed, f"only in pyproject: {declared - listed}; only in environment.yml: {listed - declared}"
    assert "-e ." in pip, "environment.yml must install the helpers package"


def test_every_dependency_is_pinned_in_constraints_and_environment_agrees():
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    project = _pyproject()["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert _name(requirement) in constraints, f"{_name(requirement)} has no tested version in constraints.txt"
    conda, pip = _environment()
    for name, version in _pins(conda + pip).items():
        if name != "python":
            assert constraints.get(name) == version, f"{name}: environment.yml {version}, constraints {constraints.get(name)}"
    assert constraints["torch"] == "2.13.0", "torch must stay pinned to the CPU build on the machines' disk"


def test_makefile_has_the_documented_targets_and_ci_runs_make_test():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("env", "lab", "test", "test-fast", "lint", "release", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), f"no `make {target}`"
    assert re.search(r"^test: .*\blint\b", makefile, re.M), "`make test` must run the linter"
    assert "--allow-root" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -e" in ci


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first = readme[: readme.find("## ", readme.find("## ") + 1)]
    assert "make lab" in first and "make test" in first


def test_nbgrader_loads_the_config():
    nbgrader = pathlib.Path(sys.executable).with_name("nbgrader")
    out = subprocess.run([str(nbgrader), "generate_assignment", "--help-all"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]


def test_scripts_name_only_files_that_exist():
    for script in (ROOT / ".ci").glob("*.py"):
        for name in re.findall(r"\b([\w-]+\.md)\b", script.read_text()):
            assert (ROOT / name).exists(), f"{script.name} names {name}, which is not in the repository"
