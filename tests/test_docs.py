"""Students without a local Python (the Colab set-up cell and links) and the instructors' guide agree
with the course."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import pytest

from tests.notebook_tools import ROOT, chapters, read

PLACEHOLDER = "YOUR-ORG/interpretability-course"


def _setup_cell(chapter):
    nb = read(chapter)
    cell = nb.cells[1]
    assert cell.cell_type == "code" and cell.get("id") == f"c{chapter[:2]}-colab", \
        f"{chapter}: the second cell must be the Colab set-up cell (INSTRUCTORS.md, README 'Without a local Python')"
    return cell.source


def test_every_chapter_has_the_same_colab_setup_cell():
    sources = {chapter: _setup_cell(chapter) for chapter in chapters()}
    assert len(set(sources.values())) == 1, "the set-up cells differ between chapters"


@pytest.mark.parametrize(("colab", "grading", "installs"), [(False, False, False), (True, True, False),
                                                            (True, False, True)])
def test_the_setup_cell_installs_only_on_colab_and_never_when_graded(monkeypatch, colab, grading, installs):
    source = _setup_cell(chapters()[0])
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append(command))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if grading:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    exec(compile(source, "<colab-setup>", "exec"), {})
    assert bool(calls) == installs
    if installs:
        assert any(f"git+https://github.com/{PLACEHOLDER}" in part for part in calls[0]) and "--no-deps" in calls[0]
        pinned = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split()
                      if "==" in line and not line.startswith("#"))
        wanted = {"shap", "lime", "captum", "torchcam", "fairlearn", "gower", "quantus"}
        assert {f"{name}=={pinned[name]}" for name in wanted} == set(calls[1][len(calls[1]) - len(wanted):]), (
            "Colab installs the versions constraints.txt pins")


def test_readme_links_every_released_chapter_to_colab():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(rf"colab\.research\.google\.com/github/{PLACEHOLDER}/blob/main/course/([\w-]+)/([\w-]+)\.ipynb",
                            readme))
    released = {(p.parent.name, p.stem) for p in (ROOT / "course").glob("*/*.ipynb")}
    assert released <= linked, f"chapters without a Colab link in README.md: {sorted(released - linked)}"
    assert linked <= released, f"Colab links to no released notebook: {sorted(linked - released)}"


def test_instructors_guide_names_only_make_targets_that_exist():
    guide = (ROOT / "INSTRUCTORS.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    named = set(re.findall(r"(?:`|^)(?:sudo )?make ([a-z][\w-]*)", guide, re.M))
    assert {"grade", "bench-class"} <= named, named
    for target in named:
        assert re.search(rf"^{target}:", makefile, re.M), f"INSTRUCTORS.md names `make {target}`, which does not exist"
    assert "instructors/09-mock-task-marking.md" in guide
    assert "INSTRUCTORS.md" in (ROOT / "README.md").read_text()
