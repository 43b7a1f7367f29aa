"""Submissions as students hand them in, made gradable: read, named, repaired against the release.

A class's submissions arrive as nbgrader's exchange delivers them, or as files an instructor
gathered (``alice.ipynb``, ``bob.zip``, ``carol/01-importance.ipynb``). Some of them nbgrader cannot
grade as they are, and it fails quietly or loudly:

* a notebook downloaded from Colab or another tool that drops cell metadata has no nbgrader
  metadata: nbgrader finds no answer cells and no test cells, and grades it 0 without a word;
* a deleted test cell is put back by ``OverwriteCells.add_missing_cells``, but a deleted answer cell
  is not, and a deleted imports cell fails every later cell;
* a duplicated cell (two cells with one ``grade_id``) aborts a whole ``nbgrader autograde`` run
  with a misleading "old version of the nbgrader metadata" error, so later students are never graded.

:func:`repair` aligns a submission with the release notebook it came from (cells of identical
source are anchors; the cells between two anchors are matched by cell id, by the name the answer
defines, then by order) and puts back what is missing, from the release's own cells. Every change is
a :class:`Finding` that names what was wrong and what was done; the grading report lists them.
"""

from __future__ import annotations

import copy
import difflib
import io
import json
import pathlib
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

import nbformat

from .cells import is_answer, is_test, nbgrader

# nbgrader's student ids become folder names and exchange file names (``student+assignment+...``).
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")
_DEFINES = re.compile(r"^(?:def\s+(\w+)|(\w+)\s*=)", re.M)
# Below this share of the release's cells found unchanged, a notebook is probably another assignment.
_SAME_ASSIGNMENT_SHARE = 0.5


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a submission, and what was done about it."""

    kind: str
    detail: str
    action: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}; {self.action}"


# --------------------------------------------------------------------------------------------
# Student ids and files


def student_id(name: str) -> str:
    """A safe nbgrader student id from a file or folder name (``Alice Smith.ipynb`` -> ``Alice_Smith``)."""
    stem = name.split("/")[-1]
    for suffix in (".ipynb", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(ch))
    return _ID_UNSAFE.sub("_", plain).strip("_.") or "unnamed"


def _pick(names: list[str], wanted: str) -> tuple[str | None, list[Finding]]:
    """The notebook to grade among ``names`` (paths inside a folder or an archive)."""
    notebooks = [n for n in names if n.endswith(".ipynb") and "__MACOSX" not in n
                 and ".ipynb_checkpoints" not in n and not pathlib.PurePosixPath(n).name.startswith("._")]
    if not notebooks:
        return None, [Finding("no notebook", f"found {len(names)} files, none of them a .ipynb", "not graded")]
    exact = [n for n in notebooks if pathlib.PurePosixPath(n).name == wanted]
    if exact:
        return exact[0], []
    stem = wanted[: -len(".ipynb")]
    close = [n for n in notebooks if stem in pathlib.PurePosixPath(n).name] or notebooks
    chosen = close[0] if len(close) == 1 else None
    if chosen is None:
        return None, [Finding("several notebooks", f"{', '.join(sorted(notebooks))}, none named {wanted}",
                              "not graded: ask the student which one to grade")]
    return chosen, [Finding("renamed notebook", f"{pathlib.PurePosixPath(chosen).name} instead of {wanted}",
                            f"graded as {wanted}")]


def read_submission(path: pathlib.Path, wanted: str) -> tuple[nbformat.NotebookNode | None, list[Finding]]:
    """The notebook of a submission file or folder (an .ipynb, a .zip, or a folder holding one).

    ``wanted`` is the release's notebook file name. Returns ``(None, findings)`` when there is
    nothing gradable, the findings saying why.
    """
    findings: list[Finding] = []
    try:
        if path.is_dir():
            names = [str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()]
            chosen, findings = _pick(names, wanted)
            raw = (path / chosen).read_bytes() if chosen else None
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                chosen, findings = _pick(archive.namelist(), wanted)
                raw = archive.read(chosen) if chosen else None
        else:
            raw = path.read_bytes()  # named after the student, not the notebook: nothing to say
    except (OSError, zipfile.BadZipFile) as error:
        return None, [Finding("unreadable", f"{path.name}: {error}", "not graded")]
    if raw is None:
        return None, findings
    try:
        nb = nbformat.read(io.StringIO(raw.decode("utf-8-sig")), as_version=4)
    except (UnicodeDecodeError, ValueError, KeyError, json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        return None, findings + [Finding("unreadable", f"not a notebook ({type(error).__name__}: "
                                                       f"{str(error)[:120]})", "not graded")]
    return nb, findings


# --------------------------------------------------------------------------------------------
# Repair against the release


def _key(cell) -> tuple[str, str]:
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return cell.get("cell_type", ""), "\n".join(line.rstrip() for line in source.replace("\r\n", "\n").split("\n")).strip()


def _defined_name(cell) -> str | None:
    """The function or value an answer stub defines (``def shapley_values(`` -> ``shapley_values``)."""
    found = _DEFINES.search(_key(cell)[1])
    return (found.group(1) or found.group(2)) if found else None


def _release_cell(cell):
    """A copy of a release cell, as a submission would hold it (no outputs, a fresh id)."""
    fresh = copy.deepcopy(cell)
    if fresh.cell_type == "code":
        fresh.outputs, fresh.execution_count = [], None
    fresh["id"] = f"restored-{uuid.uuid4().hex[:8]}"
    return fresh


def _kind(cell) -> str:
    if is_answer(cell):
        return "answer cell"
    if is_test(cell):
        return "test cell"
    return "graded cell" if nbgrader(cell).get("grade") or nbgrader(cell).get("solution") else "read-only cell"


def _graded(cell) -> bool:
    return bool(nbgrader(cell).get("grade_id"))


class _Repair:
    def __init__(self, nb, release):
        self.nb, self.release = nb, release
        self.findings: list[Finding] = []
        self.release_ids = {nbgrader(c)["grade_id"]: i for i, c in enumerate(release.cells) if _graded(c)}

    def note(self, kind, detail, action):
        self.findings.append(Finding(kind, detail, action))

    def unknown_and_duplicates(self):
        """Strip grade ids the release does not have; keep one cell per grade id."""
        seen: dict[str, list[int]] = {}
        for index, cell in enumerate(self.nb.cells):
            gid = nbgrader(cell).get("grade_id")
            if not gid:
                continue
            if gid not in self.release_ids:
                del cell.metadata["nbgrader"]
                self.note("unknown grade cell", f"cell {index + 1} claims grade_id {gid!r}, which the release does "
                          "not have", "its nbgrader metadata was removed; it runs as an ordinary cell")
                continue
            seen.setdefault(gid, []).append(index)
        drop = set()
        for gid, places in seen.items():
            if len(places) < 2:
                continue
            release_cell = self.release.cells[self.release_ids[gid]]
            where = ", ".join(str(p + 1) for p in places)
            if is_answer(release_cell) or nbgrader(release_cell).get("solution"):
                changed = [p for p in places if _key(self.nb.cells[p]) != _key(release_cell)]
                keep = changed[-1] if changed else places[0]
                for place in places:
                    if place != keep:
                        del self.nb.cells[place].metadata["nbgrader"]
                self.note("duplicated cell", f"{gid} appears {len(places)} times (cells {where})",
                          f"cell {keep + 1} is graded as the answer; the copies run as ordinary cells")
            else:
                drop.update(places[1:])
                self.note("duplicated cell", f"{gid} appears {len(places)} times (cells {where})",
                          f"kept cell {places[0] + 1}, removed the copies (a test cell is restored from the "
                          "gradebook anyway)")
        if drop:
            self.nb.cells = [c for i, c in enumerate(self.nb.cells) if i not in drop]

    def align(self):
        """Match every graded release cell to a submission cell; put back the missing ones."""
        present = {nbgrader(c)["grade_id"] for c in self.nb.cells if _graded(c)}
        missing = [gid for gid in self.release_ids if gid not in present]
        if not missing:
            return
        rel, sub = self.release.cells, self.nb.cells
        matcher = difflib.SequenceMatcher(None, [_key(c) for c in rel], [_key(c) for c in sub], autojunk=False)
        pairs = [(a + k, b + k) for a, b, size in matcher.get_matching_blocks() for k in range(size)]
        share = len(pairs) / max(1, len(rel))
        if share < _SAME_ASSIGNMENT_SHARE:
            self.note("not this assignment?", f"only {len(pairs)} of the release's {len(rel)} cells were found "
                      "unchanged", "graded as it is (check that the student sent the right notebook)")
        assigned = {r: s for r, s in pairs}          # release index -> submission index
        key_of = {s: r for r, s in pairs}             # submission index -> release index
        stripped, restored = [], []
        for gid in missing:
            r = self.release_ids[gid]
            cell = rel[r]
            s = assigned.get(r)
            if s is None or _graded(sub[s]):
                s = self._candidate(r, assigned, key_of)
            if s is not None:
                sub[s].metadata = _merge_metadata(sub[s].metadata, cell.metadata)
                assigned[r], key_of[s] = s, r
                stripped.append(gid)
            else:
                restored.append(r)
        if stripped:
            self.note("metadata stripped", f"{len(stripped)} of {len(self.release_ids)} graded cells had no nbgrader "
                      f"metadata ({_few(stripped)})", "restored from the release, matching cells by source, id "
                      "and position")
        for r in restored:
            what = _kind(rel[r])
            consequence = ("its tests score 0 as not attempted" if what == "answer cell"
                           else "graded with the original test" if what == "test cell" else "put back")
            self.note(f"{what} deleted", nbgrader(rel[r])["grade_id"],
                      f"the release's cell was put back in its place ({consequence})")
        self._assemble(key_of, restored)

    def _candidate(self, r, assigned, key_of):
        """The submission cell holding release cell ``r``'s answer, between the neighbouring anchors."""
        rel, sub = self.release.cells, self.nb.cells
        before = max((assigned[i] for i in assigned if i < r), default=-1)
        after = min((assigned[i] for i in assigned if i > r), default=len(sub))
        cell = rel[r]
        pool = [s for s in range(before + 1, after) if s not in key_of and not _graded(sub[s])
                and sub[s].cell_type == cell.cell_type]
        if not pool:
            return None
        by_id = [s for s in pool if sub[s].get("id") == cell.get("id")]
        if by_id:
            return by_id[0]
        name = _defined_name(cell) if cell.cell_type == "code" else None
        by_name = [s for s in pool if name and re.search(rf"^(def\s+{name}\b|{name}\s*=)", _key(sub[s])[1], re.M)]
        if by_name:
            return by_name[-1]
        if is_test(cell):  # an edited test cell without metadata: put the original back beside it
            return None
        return pool[-1]

    def _assemble(self, key_of, restored):
        """Insert the restored release cells where they belong, keeping the student's order."""
        if not restored:
            return
        entries, last = [], -1
        for s, cell in enumerate(self.nb.cells):
            if s in key_of:
                last = key_of[s]
                entries.append(((last, 0, s), cell))
            else:
                entries.append(((last, 1, s), cell))
        for r in restored:
            entries.append(((r, 0, -1), _release_cell(self.release.cells[r])))
        self.nb.cells = [cell for _, cell in sorted(entries, key=lambda item: item[0])]

    def unique_ids(self):
        seen = set()
        for cell in self.nb.cells:
            if not cell.get("id") or cell["id"] in seen:
                cell["id"] = uuid.uuid4().hex[:8]
            seen.add(cell["id"])


def _merge_metadata(mine, theirs):
    merged = copy.deepcopy(dict(mine))
    merged["nbgrader"] = copy.deepcopy(theirs["nbgrader"])
    for key in ("editable", "deletable"):
        if key in theirs:
            merged[key] = theirs[key]
    tags = [t for t in theirs.get("tags", []) if t not in merged.get("tags", [])]
    if tags:
        merged["tags"] = list(merged.get("tags", [])) + tags
    return nbformat.from_dict(merged)


def _few(names, at_most=4) -> str:
    shown = ", ".join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


def repair(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[Finding]]:
    """A gradable copy of ``nb`` and the findings (empty when nothing had to change).

    ``release`` is the student release of the same notebook (``course/<chapter>/<chapter>.ipynb``).
    """
    work = _Repair(copy.deepcopy(nb), release)
    work.unknown_and_duplicates()
    work.align()
    other = [f for f in work.findings if f.kind == "not this assignment?"]
    if other:  # the repairs of another notebook say nothing true about this one: one line, with their count
        kinds = sorted({f.kind for f in work.findings} - {"not this assignment?"})
        done = f" after {len(work.findings) - 1} repairs ({', '.join(kinds)})" if kinds else ""
        work.findings = [Finding(other[0].kind, other[0].detail,
                                 f"graded as it is{done}: check that the student sent the right notebook")]
    if work.findings or nb.nbformat_minor < 5 or len({c.get("id") for c in nb.cells}) < len(nb.cells):
        work.nb.nbformat, work.nb.nbformat_minor = 4, max(5, nb.nbformat_minor)
        work.unique_ids()
    return work.nb, work.findings
