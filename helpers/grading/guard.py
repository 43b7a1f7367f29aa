"""The output guard: a test cell keeps its points only if its outputs show every check passing.

nbgrader scores a test cell from its outputs: an error output (or stderr) gives 0, anything else
full marks. A cell whose check was swallowed (by an IPython hook, say) or that displayed a failed
check without raising therefore kept its points. The guard reads what the checks displayed: every
:class:`helpers.checks._feedback.Feedback` shows one line, ``✅ **<title> (correct)**: ...`` in
markdown (``[CORRECT] <title>: ...`` as plain text), and a cell must show one passing line per
check its source runs (``check.<exercise>(...)`` and ``<grader>.grade(...)`` statements).
"""

from __future__ import annotations

import ast
import re

# The outcomes a check displays (helpers.checks._feedback.Outcome values) that let a cell keep its points.
PASSING = {"correct", "recorded"}
FAILING = {"incorrect", "error", "not attempted"}
_OUTCOMES = "correct|incorrect|error|not attempted|recorded"
_MARKDOWN = re.compile(rf"^\s*\S+\s+\*\*(?P<title>.+?) \((?P<outcome>{_OUTCOMES})\)\*\*", re.MULTILINE)
_PLAIN = re.compile(rf"^\[(?P<outcome>{_OUTCOMES.upper()})\] (?P<title>[^:\n]+):", re.MULTILINE)


def count_checks(source: str) -> int:
    """How many checks a test cell runs for sure: its top-level ``check.<name>(...)`` and
    ``<anything>.grade(...)`` statements (a check inside a loop or a branch counts as none)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    count = 0
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        func = call.func
        if func.attr == "grade" or (isinstance(func.value, ast.Name) and func.value.id == "check"
                                    and not func.attr.startswith("_") and func.attr != "hint"):
            count += 1
    return count


def _texts(output) -> list[str]:
    if output.get("output_type") == "stream":
        return [output.get("text", "")]
    data = output.get("data", {})
    if "text/markdown" in data:
        return [_join(data["text/markdown"])]
    return [_join(data["text/plain"])] if "text/plain" in data else []


def _join(text) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def outcomes(outputs) -> list[str]:
    """The outcomes of the feedback lines shown in ``outputs``, in order ("correct", "incorrect"...)."""
    found = []
    for output in outputs:
        if output.get("output_type") not in ("display_data", "execute_result", "stream", "update_display_data"):
            continue
        for text in _texts(output):
            pattern = _PLAIN if output.get("output_type") == "stream" else _MARKDOWN
            found += [m.group("outcome").lower() for m in pattern.finditer(text)]
    return found


def judge(source: str, outputs) -> str | None:
    """Why a test cell must score 0 although it may have raised nothing (None: it may keep its points)."""
    shown = outcomes(outputs)
    failed = [o for o in shown if o in FAILING]
    if failed:
        return f"a check in this cell reported {failed[0].upper()}"
    needed, passed = count_checks(source), sum(o in PASSING for o in shown)
    if passed < needed:
        return (f"this cell runs {needed} check{'s' if needed > 1 else ''} but its output shows "
                f"{passed} passing (a check that did not run, or whose result was hidden, scores 0)")
    return None
