"""Before each graded test cell, verify (and restore) IPython's execution machinery in the kernel.

Just before a test cell, the grader sends the kernel an empty, silent execute request whose
``user_expressions`` hold :func:`expression`. IPython evaluates user expressions with ``eval``,
after the (empty) cell, outside the input transformers, the AST transformers and ``run_cell``, so
a hook that rewrites or swallows cells cannot swallow the check itself. The check (:func:`snippet`)
verifies that nothing stands between the kernel and the test cell's code: IPython's input
transformers (cleanup, line, token and post), AST transformers, the shell's and the kernel's
execution methods (the class's own, from IPython or ipykernel, not an instance override), the
compiler, the display and exception hooks, event callbacks, the trace and profile functions, and
threads started by the notebook. It removes what it can (so that later cells run clean) and
returns one line carrying a random nonce: ``GRADING-VERIFY <nonce> OK`` or
``GRADING-VERIFY <nonce> FAIL: <what changed>``. :func:`verdict` reads it from the reply; no such
line (the request failed or was answered by something else) is a failure too.
"""

from __future__ import annotations

import ast
import re
import secrets

MARK = "GRADING-VERIFY"
_TEMPLATE = r'''
def _grading_verify_NONCE():
    import sys, threading
    allowed = ("IPython.", "ipykernel.", "matplotlib_inline.", "matplotlib.", "ipywidgets.", "comm.",
               "jupyter_client.", "zmq.", "tqdm.", "joblib.", "traitlets.", "asyncio.", "concurrent.",
               "threading", "sys")
    def origin(f):
        f = getattr(f, "__func__", f)
        module = getattr(f, "__module__", None)
        if not isinstance(module, str):
            module = getattr(type(f), "__module__", "")
        return module or ""
    def ours(f):
        return origin(f).startswith(allowed)
    problems = []
    ip = __import__("IPython").get_ipython()
    cls = type(ip)
    if not ours(cls):
        problems.append("the shell is not IPython's")
    for name in ("run_cell", "run_cell_async", "transform_cell", "run_ast_nodes", "run_code", "should_run_async",
                 "showtraceback", "_showtraceback", "showsyntaxerror", "_run_cell", "safe_run_module", "ex", "ev",
                 "user_expressions", "_format_user_obj"):
        if name in vars(ip) and not ours(vars(ip)[name]):
            problems.append(f"shell.{name} was replaced")
            del ip.__dict__[name]
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is not None and not ours(vars(owner)[name]):
            problems.append(f"{cls.__name__}.{name} is not IPython's")
    manager = ip.input_transformer_manager
    if not ours(manager):
        problems.append("the input transformer manager was replaced")
    for label, items in (("input_transformers_cleanup", manager.cleanup_transforms),
                         ("line transforms", manager.line_transforms),
                         ("token transformers", manager.token_transformers),
                         ("input_transformers_post", ip.input_transformers_post),
                         ("ast_transformers", ip.ast_transformers)):
        strangers = [f for f in items if not ours(f)]
        if strangers:
            problems.append(f"{label} has {len(strangers)} foreign entr{'y' if len(strangers) == 1 else 'ies'}")
            items[:] = [f for f in items if ours(f)]
    for name in ("transform_cell", "check_complete"):
        if name in vars(manager) and not ours(vars(manager)[name]):
            problems.append(f"the input transformer manager's {name} was replaced")
            del manager.__dict__[name]
    if not ours(ip.compile) or any(n in vars(ip.compile) for n in ("ast_parse", "cache", "__call__")):
        problems.append("the shell's compiler was replaced")
    for event, callbacks in ip.events.callbacks.items():
        strangers = [f for f in callbacks if not ours(f)]
        if strangers:
            problems.append(f"{len(strangers)} foreign {event} callback(s)")
            for f in strangers:
                callbacks.remove(f)
    if getattr(ip, "custom_exceptions", ()):
        problems.append("custom exception handlers were set")
        ip.custom_exceptions = ()
    kernel = getattr(ip, "kernel", None)
    if kernel is not None:
        for name in ("execute_request", "do_execute"):
            if name in vars(kernel) and not ours(vars(kernel)[name]):
                problems.append(f"kernel.{name} was replaced")
                del kernel.__dict__[name]
            method = getattr(type(kernel), name, None)
            if method is not None and not ours(method):
                problems.append(f"{type(kernel).__name__}.{name} is not ipykernel's")
        handler = getattr(kernel, "shell_handlers", {}).get("execute_request")
        if handler is not None and not ours(handler):
            problems.append("the kernel's execute_request handler was replaced")
    for name in ("displayhook", "excepthook"):
        if not ours(getattr(sys, name)):
            problems.append(f"sys.{name} was replaced")
            setattr(sys, name, getattr(sys, "__" + name + "__"))
    if not all(ours(hook) for hook in (ip.displayhook, ip.display_pub, ip.display_formatter)):
        problems.append("the shell's display hooks were replaced")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        problems.append("a trace or profile function is set")
        sys.settrace(None)
        sys.setprofile(None)
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        if thread is not threading.main_thread() and not ours(target if target is not None else thread):
            problems.append(f"a thread started by the notebook is running ({thread.name})")
    return "MARK NONCE " + ("OK" if not problems else "FAIL: " + "; ".join(problems))

result = _grading_verify_NONCE()
'''


def new_nonce() -> str:
    return secrets.token_hex(8)


def snippet(nonce: str) -> str:
    """The check's code (Python statements; they leave the verdict line in ``result``)."""
    if not re.fullmatch(r"[0-9a-f]{8,64}", nonce):
        raise ValueError(f"nonce should be hexadecimal, got {nonce!r}")
    return _TEMPLATE.replace("NONCE", nonce).replace("MARK", MARK).strip() + "\n"


def expression(nonce: str) -> str:
    """A user expression that runs :func:`snippet` in a namespace of its own and returns the verdict."""
    return f"(lambda ns: (__import__('builtins').exec({snippet(nonce)!r}, ns), ns['result'])[1])({{}})"


def verdict(nonce: str, reply) -> str | None:
    """None when the kernel's reply says the machinery is intact; else what is wrong (a sentence)."""
    content = (reply or {}).get("content", {})
    value = content.get("user_expressions", {}).get("verdict", {})
    text = value.get("data", {}).get("text/plain", "") if value.get("status") == "ok" else ""
    try:
        line = ast.literal_eval(text) if text else ""
    except (ValueError, SyntaxError):
        line = ""
    if not isinstance(line, str) or not line.startswith(f"{MARK} {nonce} "):
        why = value.get("evalue") or content.get("evalue") or content.get("status") or "no reply"
        return f"the check of IPython's execution machinery did not run as sent ({why})"
    result = line[len(MARK) + len(nonce) + 2:]
    return None if result == "OK" else result.removeprefix("FAIL: ")
