"""The static audit of answer cells (helpers.audit): every rule on its attacks and their
disguises, and no false positive on any correct answer the course knows."""

from __future__ import annotations

import importlib
import pathlib
import re
from types import ModuleType

import nbformat
import pytest

from helpers.audit import RULES, Violation, audit

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKERS = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")

# (source, the rule it must break). Each rule, and the disguises an attack would use.
FORBIDDEN = [
    # changing what the cell did not create
    ("np.allclose = lambda *a, **k: True", "foreign-attribute"),
    ("x = np\nx.allclose = f", "foreign-attribute"),
    ("from numpy import testing as t\nt.x = 1", "foreign-attribute"),
    ("import sklearn.metrics\nsklearn.metrics.r2_score = lambda *a, **k: 1.0", "foreign-attribute"),
    ("inspection.permutation_importance = fake", "foreign-attribute"),
    ("shap.KernelExplainer.shap_values = fake", "foreign-attribute"),
    ("check.x.check = lambda *a: None", "foreign-attribute"),
    ("del np.isclose", "foreign-attribute"),
    ("np.testing.assert_allclose = print", "foreign-attribute"),
    ("def patch(module):\n    module.array_equal = f\npatch(np)", "foreign-attribute"),
    ("box = []\nbox.append(np)\nbox[0].allclose = f", "foreign-attribute"),
    ("d = {'m': np}\nd.get('m').allclose = f", "foreign-attribute"),
    ("x = next(iter([np]))\nx.allclose = f", "foreign-attribute"),
    ("(lambda m: m)(np).allclose = f", "foreign-attribute"),
    ("for m in (np, pd):\n    m.isclose = f", "foreign-attribute"),
    ("type(forest).score = lambda self, X, y: 1.0", "foreign-attribute"),
    ("fitted = forest.fit(X_train, y_train)\nfitted.predict = lambda X: y_test", "foreign-attribute"),
    ("class Holder:\n    m = np\nHolder.m.allclose = f", "foreign-attribute"),
    ("class A:\n    def __init__(self, m):\n        self.m = m\n        self.m.allclose = f\nA(np)", "foreign-attribute"),
    ("lib.WORKED_EXAMPLES['Grad-CAM'] = ('global', 'agnostic')", "foreign-attribute"),
    ("check.CHAPTER.exercises['taxonomy'] = fake", "foreign-attribute"),
    ("del lib.WORKED_EXAMPLES['LIME']", "foreign-attribute"),
    ("lib.TAXONOMY_METHODS.clear()", "foreign-attribute"),
    ("check.D1_GAME.update({frozenset(): 5})", "foreign-attribute"),
    # private names
    ("getattr(check, '_core')", "private-name"),
    ("check._core.Exercise", "private-name"),
    ("from sklearn.inspection._permutation_importance import _calculate_permutation_scores", "private-name"),
    ("np.random.mtrand._rand.seed(0)", "private-name"),
    # dunders
    ("(lambda: 0).__globals__", "dunder"),
    ("original = check.joint_permutation_importance.__wrapped__", "dunder"),
    ("lib.joint_permutation_importance.__wrapped__(forest, X, y, [0])", "dunder"),
    ("np.__dict__['allclose'] = f", "dunder"),
    ("f.__code__ = g.__code__", "dunder"),
    ("x.__class__.__eq__ = lambda a, b: True", "dunder"),
    ("object.__setattr__(np, 'allclose', f)", "dunder"),
    ("(1).__class__.__bases__[0].__subclasses__()", "dunder"),
    # reflection
    ("setattr(np, 'allclose', f)", "reflection"),
    ("delattr(np, 'isclose')", "reflection"),
    ("vars(np)['allclose'] = f", "reflection"),
    ("globals()['check'] = None", "reflection"),
    ("locals()", "reflection"),
    ("name = 'all' + 'close'\ngetattr(np, name)", "reflection"),
    ("g = getattr\ng(np, 'allclose')", "reflection"),
    ("from operator import attrgetter\nattrgetter('testing')(np)", "reflection"),
    # frames
    ("import sys\nsys._getframe(1).f_globals['check'] = None", "frames"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    frame = e.__traceback__.tb_frame", "dunder"),
    ("def gen():\n    yield 1\ng = gen()\ng.gi_frame.f_back", "frames"),
    ("import sys\nsys.exc_info()[2].tb_frame", "frames"),
    # trace functions
    ("import sys as s\ns.settrace(None)", "trace"),
    ("import sys\nold = sys.gettrace()\nsys.settrace(None)\nresult = work()\nsys.settrace(old)", "trace"),
    ("from sys import settrace\nsettrace(None)", "trace"),
    ("sys.setprofile(lambda *a: None)", "trace"),
    ("getattr(sys, 'settrace')(None)", "trace"),
    ("import pdb", "trace"),
    # threads and processes
    ("import threading\nt = threading.Thread(target=work)\nt.start()\nt.join()", "concurrency"),
    ("from concurrent.futures import ThreadPoolExecutor", "concurrency"),
    ("import _thread\n_thread.start_new_thread(work, ())", "concurrency"),
    ("import multiprocessing", "concurrency"),
    ("import torch.utils.data as tud\nloader = tud.DataLoader(data, num_workers=1)", "concurrency"),
    ("loader = torch.utils.data.DataLoader(data, num_workers=1)", "concurrency"),
    ("import subprocess\nsubprocess.run(['ls'])", "concurrency"),
    ("os.system('ls')", "concurrency"),
    ("os._exit(0)", "concurrency"),
    ("import asyncio", "concurrency"),
    ("import signal", "concurrency"),
    ("from joblib import Parallel, delayed", "concurrency"),
    ("from sklearn.utils.parallel import Parallel, delayed", "concurrency"),
    ("import posixpath\nposixpath.exists('/course/solutions')", "files"),
    ("helpers_spec.loader.get_data('/course/gradebook.db')", "files"),
    # IPython hooks, history and syntax
    ("get_ipython().showtraceback = lambda *a, **k: None", "ipython"),
    ("ip = get_ipython()\nip.input_transformers_post.append(lambda lines: lines)", "ipython"),
    ("from IPython import get_ipython\nget_ipython().ast_transformers.append(t)", "ipython"),
    ("ip = get_ipython()\nold = ip.run_cell\nip.run_cell = lambda *a, **k: old('pass')", "ipython"),
    ("shell.input_transformers_cleanup.insert(0, f)", "ipython"),
    ("shell.events.register('pre_run_cell', f)", "ipython"),
    ("sys.excepthook = lambda *a: None", "ipython"),
    ("print(In[-2])", "ipython"),
    ("source = _ih[3]", "ipython"),
    ("%time x = 1", "ipython"),
    ("!cat ../../solutions/01-importance/01-importance.ipynb", "ipython"),
    ("x = 1\nlines = !ls", "ipython"),
    ("%%bash\nls", "ipython"),
    # builtins and the import machinery
    ("__import__('os')", "imports"),
    ("import builtins\nbuiltins.print = f", "imports"),
    ("import importlib\nimportlib.reload(np)", "imports"),
    ("from importlib import import_module", "imports"),
    ("import sys\nsys.modules['numpy'].allclose = f", "imports"),
    ("sys.meta_path.insert(0, finder)", "imports"),
    ("sys.path.insert(0, '/tmp')", "imports"),
    ("__builtins__['open']", "imports"),
    ("import runpy", "imports"),
    ("import pkgutil", "imports"),
    ("from . import x", "imports"),
    # code built at run time
    ("exec('x = 1')", "dynamic-code"),
    ("eval('1 + 1')", "dynamic-code"),
    ("code = compile(source, '<mine>', 'exec')", "dynamic-code"),
    ("breakpoint()", "dynamic-code"),
    ("import code", "dynamic-code"),
    # files
    ("open('/course/solutions/01-importance/01-importance.ipynb').read()", "files"),
    ("import os\nroot = os.getcwd()", "files"),
    ("import pathlib\npathlib.Path('gradebook.db').read_bytes()", "files"),
    ("from pathlib import Path", "files"),
    ("import shutil", "files"),
    ("import glob", "files"),
    ("import tempfile", "files"),
    ("import sqlite3", "files"),
    ("import pickle", "files"),
    ("import io", "files"),
    ("np.load('x.npy')", "files"),
    ("pd.read_json('../../solutions/01-importance/01-importance.ipynb')", "files"),
    ("import nbformat", "files"),
    ("import pandas\npandas.read_csv('../../gradebook.csv')", "files"),
    ("import linecache", "files"),
    # interpreter internals
    ("import ctypes", "introspection"),
    ("import gc\ngc.get_objects()", "introspection"),
    ("import inspect\ninspect.getsource(check)", "introspection"),
    ("import weakref", "introspection"),
    ("from types import FunctionType", "introspection"),
    ("import dis", "introspection"),
    ("import ast", "introspection"),
    ("import traceback", "introspection"),
    # the grading machinery
    ("from helpers.checks import grading_copy", "grading"),
    ("import helpers.checks._core as core", "grading"),
    ("from helpers.checks._core import Exercise", "grading"),
    ("from helpers import grading", "grading"),
    ("import helpers.grading.preprocessors", "grading"),
    ("from helpers._context import IN_STUDENT_CODE", "grading"),
    ("import helpers.checks\nhelpers.checks.grading_copy = lambda chapter: fake", "grading"),
    ("import nbgrader", "grading"),
    # modules no chapter's task needs (an allowlist: the chapter's list decides, see test below)
    ("import xml.etree.ElementTree as ET", "modules"),
    ("from email.parser import Parser", "modules"),
    ("import sqlalchemy", "modules"),
    # the interpreter reached through re-exported modules, string resolvers, or interception modes
    ("frame = torch.sys._getframe(2)", "interpreter"),
    ("stack = np.os.environ", "interpreter"),
    ("helper = scipy.stats.inspect.currentframe()", "interpreter"),
    ("import pydoc\nsys_ = pydoc.locate('sys')", "interpreter"),
    ("from pkgutil import resolve_name\nresolve_name('gc:get_referrers')", "interpreter"),
    ("from typing import get_type_hints\ndef f(x: '__import__(\"os\")'): pass\nget_type_hints(f)", "interpreter"),
    ("import string\nstring.Formatter().get_field('0.__globals__', (f,), {})", "interpreter"),
    ("import logging\nlogging.currentframe()", "interpreter"),
    ("import timeit\ntimeit.Timer('import os').timeit(1)", "interpreter"),
    ("mode = torch.overrides.TorchFunctionMode()", "interpreter"),
    ("from torch.package import sys_importer\nsys_importer.import_module('gc')", "interpreter"),
    ("np.ctypeslib.as_array(0)", "interpreter"),
]


@pytest.mark.parametrize(("source", "rule"), FORBIDDEN, ids=[f"{r}:{s[:40]}" for s, r in FORBIDDEN])
def test_forbidden_code_breaks_its_rule(source, rule):
    violations = audit(source)
    assert rule in {v.rule for v in violations}, f"{source!r}: {violations}"


def test_every_rule_has_attacks_in_the_table():
    assert {rule for _, rule in FORBIDDEN} == set(RULES)


def test_each_chapter_imports_what_its_tasks_need():
    assert audit("import torch\nfrom captum.attr import Saliency", chapter="04") == []
    assert {v.rule for v in audit("import torch", chapter="01")} == {"modules"}
    assert {v.rule for v in audit("from sklearn.linear_model import Ridge", chapter="07")} == set()
    assert {v.rule for v in audit("import lime", chapter="05")} == {"modules"}
    assert audit("import torch") == [] and audit("import lime") == []  # no chapter: what any chapter may import
    violation = audit("import torch", chapter="02")[0]
    assert "imports `torch`" in violation.message and "README.md lists them per chapter" in violation.message


def test_foreign_containers_stay_protected_through_protocol_methods():
    assert {v.rule for v in audit("lib.WORKED_EXAMPLES.__setitem__('LIME', 1)")} == {"foreign-attribute"}
    assert {v.rule for v in audit("f.__globals__")} == {"dunder"}


def test_message_names_the_line_the_code_and_the_rule():
    (violation,) = audit("x = 1\ny = 2\nnp.allclose = f\n")
    assert violation == Violation("foreign-attribute", 3, violation.message)
    assert violation.message.startswith("line 3: ") and "`np.allclose = ...`" in violation.message
    assert violation.message.endswith(RULES["foreign-attribute"]) and str(violation) == violation.message


def test_violations_are_sorted_and_deterministic():
    source = "import os\nsys.settrace(None)\nexec('1')\nnp.x = 1\n"
    first = audit(source)
    assert [v.line for v in first] == sorted(v.line for v in first) and first == audit(source)


def test_syntax_errors_are_not_violations():
    assert audit("def f(:\n    pass") == []
    assert audit("x = (1,") == []


def test_names_the_cell_binds_itself_are_not_the_builtins():
    assert audit("def open(path):\n    return path\nopen('x')") == []
    assert audit("vars = [1, 2]\nprint(vars[0])") == []


def test_notebook_module_aliases_can_be_declared():
    assert audit("s.settrace(None)")[0].rule == "trace"  # attribute names that are always forbidden
    assert audit("s.modules['numpy']") == []  # `modules` alone is fine (torch's model.modules())
    assert audit("s.modules['numpy']", modules={"s": "sys"})[0].rule == "imports"


HONEST = [
    "import numpy as np\nimport pandas as pd\nfrom scipy import stats\nimport math, itertools, functools, random",
    "from collections import Counter, defaultdict\nfrom dataclasses import dataclass\nfrom typing import Any",
    "import statistics, warnings\nwarnings.filterwarnings('ignore')",
    "from sklearn.linear_model import LinearRegression\nmodel = LinearRegression().fit(X, y)\nmodel.coef_",
    "explainer = LimeTabularExplainer(X_train)\nexplainer.random_state = check_random_state(3)",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 1)\n"
    "        self._cache = {}\n    def forward(self, x):\n        return self.fc(x)",
    "def saliency(model, x, target):\n    x = x.clone().detach().requires_grad_(True)\n"
    "    model(x)[0, target].backward()\n    return x.grad.abs()",
    "def grads(model, x):\n    x.requires_grad = True\n    x.grad = None\n    return x",
    "store = {}\nhandle = model.layer.register_forward_hook(lambda m, i, o: store.update(out=o))\n"
    "back = model.layer.register_full_backward_hook(lambda m, gi, go: store.update(grad=go[0]))\n"
    "model(x).sum().backward()\nhandle.remove()\nback.remove()",
    "for p in model.parameters():\n    p.requires_grad = False\nmodel.eval()",
    "print(np.__version__, taxonomy.__name__, len(X))\nf = v.__getitem__",
    "getattr(model, 'coef_', None)",
    "d = dict(a=1)\nd['b'] = 2\nrng = np.random.default_rng(0)\nrng.shuffle(order)",
    "check.joint_permutation_importance(forest, X_test, y_test, [0, 1])\nlib.TWINS\ncheck.D1_ORDERINGS",
    "from helpers.checks import ch01 as check\nfrom helpers.lib import ch01 as lib\nfrom helpers import data, models",
    "eps = np.finfo(float).eps\nimport copy\nfresh = copy.deepcopy(model)",
    "import torch\nimport torch.nn.functional as F\nfrom torch import nn\ntorch.manual_seed(0)",
    "for _ in range(3):\n    pass\n_ = 1",
    "from copy import deepcopy\nfresh = deepcopy(model)\nfresh.fc.weight.data = torch.zeros(2, 2)",
    "rows = lib.read_coalitions(rows, x, background)",
    "store = {}\nstore['a'] = 1\nself_list = []\nself_list.append(2)\nweights[0, 1] = 3.0\nX_perm[:, j] = X[order, j]",
    "plt.rcParams['figure.figsize'] = (4, 3)",
    "store = {}\nstore.__setitem__('a', 1)\nstore.__getitem__('a')\nstore.__delitem__('a')\ntotal = (2).__add__(3)",
    "from torch.func import grad, vmap\ngrads = vmap(grad(lambda z: model(z[None])[0, 1]))(x)",
    "import operator\nfrom functools import reduce\nreduce(operator.mul, [1, 2, 3])",
    "class Spy:\n    def __init__(self):\n        self.calls = []\n    def __call__(self, X):\n"
    "        self.calls.append(X)\n        self.calls[-1] = X",
]


@pytest.mark.parametrize("source", HONEST, ids=[s.splitlines()[0][:40] for s in HONEST])
def test_honest_idioms_pass(source):
    assert audit(source) == []


# --------------------------------------------------------------------------------------------
# No false positive on any correct answer the course knows (these files are rewritten as the
# chapters grow: the test reads them afresh).


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not MARKERS.search(line))


def _correct_answers():
    cases = []
    for path in sorted((ROOT / "tests" / "answers").glob("ch[0-9]*.py")):
        module, chapter = importlib.import_module(f"tests.answers.{path.stem}"), path.stem[2:]
        for kind in ("REFERENCE", "ALTERNATIVE", "BASES"):
            for grade_id, source in getattr(module, kind, {}).items():
                cases.append(pytest.param(source, chapter, id=f"{path.stem}-{kind}-{grade_id}"))
        for grade_id, more in getattr(module, "MORE_ALTERNATIVES", {}).items():
            cases += [pytest.param(source, chapter, id=f"{path.stem}-MORE-{grade_id}-{label[:20]}")
                      for label, source in more]
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
                cases.append(pytest.param(_strip_markers(cell.source), path.stem[:2],
                                          id=f"{path.stem}-{meta['grade_id']}"))
    return cases


@pytest.mark.parametrize(("source", "chapter"), _correct_answers())
def test_no_correct_answer_breaks_a_rule(source, chapter):
    assert audit(source, chapter=chapter) == []


def test_blank_release_answers_pass():
    for path in sorted((ROOT / "course").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
                assert audit(cell.source, chapter=path.stem[:2]) == [], (path.name, meta["grade_id"])


def test_no_public_name_of_helpers_is_forbidden():
    """A helper named like a forbidden attribute (`load`, `open`, `events`...) would fail honest answers."""
    import pkgutil

    import helpers
    from helpers.audit._tables import ATTRIBUTE_RULES

    clashes = []
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if info.name.startswith(("helpers.grading", "helpers.checks._")) or "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        clashes += [f"{info.name}.{name}" for name, value in vars(module).items()  # an imported module is no helper
                    if name in ATTRIBUTE_RULES and ATTRIBUTE_RULES[name] != "grading" and not isinstance(value, ModuleType)]
    assert not clashes, f"rename these helpers (the audit forbids the name): {clashes}"


def test_the_readme_lists_every_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [rule for rule in RULES if f"| `{rule}` |" not in readme]
    assert not missing, f"README.md's rule table lacks {missing}"
