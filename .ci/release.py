"""Generate the student release of every chapter of solutions/ with nbgrader.

    python .ci/release.py course      # what `make release` runs
    python .ci/release.py /tmp/check  # a fresh release elsewhere (the sync test compares it with course/)

The destination is replaced as a whole, so a chapter removed from solutions/ leaves no stale copy.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def chapters() -> list[str]:
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def generate(destination: pathlib.Path) -> None:
    """Write the release of every chapter into ``destination`` (created or replaced)."""
    nbgrader = pathlib.Path(sys.executable).with_name("nbgrader")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "release"
        subprocess.run([str(nbgrader), "generate_assignment", "*", "--no-db", "--force",
                        f"--CourseDirectory.release_directory={out}", "--log-level=WARN"],
                       cwd=ROOT, check=True)
        made = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if made != chapters():
            raise SystemExit(f"nbgrader released {made}, expected every chapter of solutions/: {chapters()}")
        for junk in out.rglob(".ipynb_checkpoints"):
            shutil.rmtree(junk)
        destination = destination.resolve()
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(out, destination)


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "course"
    generate(target if target.is_absolute() else pathlib.Path.cwd() / target)
    print(f"released {', '.join(chapters())} into {target}")
