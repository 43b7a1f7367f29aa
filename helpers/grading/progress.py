"""Self-study progress: which exercises of which chapters pass their visible checks (``make progress``).

    python -m helpers.grading.progress                 # every chapter in course/
    python -m helpers.grading.progress 01 04           # some chapters
    python -m helpers.grading.progress --folder ~/work # notebooks kept somewhere else

Each chapter's notebook, as saved, is run top to bottom in a fresh kernel (the notebook file is not
changed), and every check cell's outcome is read from its output: ✅ correct, 📝 recorded (a choice
the grader judges), ❌ incorrect, 💥 error, ⏳ not attempted. Only the visible checks run here; more
run when a notebook is graded. A chapter whose notebook has not changed since the last run is not run
again (the results are kept in ``~/.cache/interpretability-course/progress.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import re
import sys
import time

import nbformat

from .cells import grade_id, is_test
from .guard import outcomes

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "interpretability-course"
SYMBOLS = {"correct": "✅", "recorded": "📝", "incorrect": "❌", "error": "💥", "not attempted": "⏳"}
_FAILED = re.compile(r"\[(NOT ATTEMPTED|INCORRECT|ERROR)\]")


def cell_outcome(cell) -> str:
    """The outcome a check cell shows: the worst of its checks, or ``error`` if it raised anything else."""
    shown = outcomes(cell.get("outputs", []))
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            found = _FAILED.search(output.get("evalue", ""))
            shown.append(found.group(1).lower() if found else "error")
    for worst in ("error", "incorrect", "not attempted", "recorded", "correct"):
        if worst in shown:
            return worst
    return "not attempted" if cell.get("execution_count") is None else "error"


def run_chapter(path: pathlib.Path, timeout: int = 600) -> list[tuple[str, str]]:
    """``[(exercise, outcome), ...]`` for the check cells of the notebook at ``path``, in order."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return [(grade_id(c).removesuffix("_test"), cell_outcome(c)) for c in nb.cells if is_test(c)]


def _load_cache() -> dict:
    try:
        return json.loads((CACHE / "progress.json").read_text())
    except (OSError, ValueError):
        return {}


def _save_cache(cache: dict) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "progress.json").write_text(json.dumps(cache, indent=1))


def progress(folder: pathlib.Path, wanted: list[str], out=sys.stdout) -> dict[str, list[tuple[str, str]]]:
    chapters = sorted(p for p in folder.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
    if wanted:
        chapters = [p for p in chapters if p.name in wanted or p.name[:2] in wanted]
    cache, results = _load_cache(), {}
    for chapter in chapters:
        notebooks = sorted(chapter.glob("*.ipynb"))
        if not notebooks:
            continue
        path = notebooks[0]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        key = str(path.resolve())
        if cache.get(key, {}).get("sha256") == digest:
            rows, note = [tuple(r) for r in cache[key]["rows"]], "unchanged since the last run"
        else:
            print(f"running {chapter.name} ...", file=out, flush=True)
            started = time.perf_counter()
            rows = run_chapter(path)
            note = f"ran in {time.perf_counter() - started:.0f} s"
            cache[key] = {"sha256": digest, "rows": rows}
            _save_cache(cache)
        results[chapter.name] = rows
        passed = sum(outcome in ("correct", "recorded") for _, outcome in rows)
        print(f"\n{chapter.name}: {passed} of {len(rows)} checks pass ({note})", file=out)
        for exercise, outcome in rows:
            print(f"  {SYMBOLS[outcome]} {exercise:32s} {outcome}", file=out)
    total = [o for rows in results.values() for _, o in rows]
    print(f"\nin all: {sum(o in ('correct', 'recorded') for o in total)} of {len(total)} visible checks pass "
          "(📝 recorded: judged when graded; more checks run at grading)", file=out)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.grading.progress", description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter folders or numbers (default: all)")
    parser.add_argument("--folder", default=str(REPO / "course"), help="where the chapters are (default: course/)")
    args = parser.parse_args(argv)
    wanted = [w for c in args.chapters for w in c.split(",") if w]
    progress(pathlib.Path(args.folder).expanduser(), wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
