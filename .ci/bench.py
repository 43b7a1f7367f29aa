"""Run every solution notebook once; print wall seconds and peak memory per notebook (`make bench`).

Memory is the peak, sampled every 50 ms, of the summed resident memory of the nbconvert process and
its children (the kernel). Budgets (CONTRIBUTING.md): one notebook <= 60 s and <= 2 GiB; the whole
course <= 6 minutes.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile
import time

import psutil

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUDGET_SECONDS, BUDGET_MIB, BUDGET_TOTAL = 60, 2048, 360


def run(notebook: pathlib.Path, out_dir: str) -> tuple[float, float, int]:
    jupyter = pathlib.Path(sys.executable).with_name("jupyter")
    start = time.perf_counter()
    proc = subprocess.Popen([str(jupyter), "nbconvert", "--to", "notebook", "--execute",
                             "--ExecutePreprocessor.timeout=600", f"--output-dir={out_dir}", str(notebook)],
                            cwd=notebook.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    return time.perf_counter() - start, peak / 2**20, proc.returncode


def main() -> int:
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    rows, total, failed = [], 0.0, False
    with tempfile.TemporaryDirectory() as out_dir:
        for notebook in notebooks:
            seconds, mib, code = run(notebook, out_dir)
            total += seconds
            over = seconds > BUDGET_SECONDS or mib > BUDGET_MIB or code != 0
            failed |= over
            status = "ok" if not over else ("FAILED" if code else "OVER BUDGET")
            rows.append(f"| {notebook.parent.name} | {seconds:6.1f} | {mib:7.0f} | {status} |")
    print("| notebook | seconds | peak MiB | status |\n|---|---:|---:|---|")
    print("\n".join(rows))
    print(f"| **all {len(notebooks)}** | {total:6.1f} | | {'ok' if total <= BUDGET_TOTAL else 'OVER BUDGET'} |")
    print(f"\nbudgets: {BUDGET_SECONDS} s and {BUDGET_MIB} MiB per notebook, {BUDGET_TOTAL} s in all "
          f"(nbconvert start-up included); {psutil.cpu_count()} cores")
    return 1 if failed or total > BUDGET_TOTAL else 0


if __name__ == "__main__":
    sys.exit(main())
