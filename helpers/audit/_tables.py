"""The rules of the static audit (:mod:`helpers.audit`) as data: what each rule forbids,
in the words a student reads, and the modules, names and attributes that break it."""

from __future__ import annotations

import re

# rule id -> the rule in plain words; README.md lists them in this order.
RULES = {
    "foreign-attribute": "answers may not change modules, classes, functions or objects they did not create "
                         "(their attributes, or the items of containers reached through them)",
    "private-name": "answers may not use the private names (starting with `_`) of modules and objects they did "
                    "not create",
    "dunder": "answers may not use Python's internal double-underscore attributes (`__globals__`, `__dict__`, "
              "`__wrapped__`, `__class__`, ...)",
    "reflection": "answers may not reach attributes by computed names (setattr, delattr, vars, globals, locals, "
                  "getattr with a computed name)",
    "frames": "answers may not inspect the interpreter's call stack (frames, tracebacks, code objects)",
    "trace": "answers may not set, remove or read trace and profile functions (sys.settrace, sys.setprofile, "
             "debuggers), which the checks use",
    "concurrency": "answers may not start threads, processes or event loops, or send signals (threading, "
                   "multiprocessing, subprocess, asyncio, os.system...)",
    "ipython": "answers may not use IPython's or Python's execution hooks, history, magics or shell commands "
               "(get_ipython, transformers, run_cell, excepthook, `%`, `!`)",
    "imports": "answers may not use the builtins module or Python's import machinery (importlib, __import__, "
               "sys.modules, sys.path)",
    "dynamic-code": "answers may not run code built at run time (exec, eval, compile, breakpoint)",
    "files": "answers may not read or write files or use the network (open, os, pathlib, shutil, pickle, "
             "np.load, pd.read_csv...)",
    "introspection": "answers may not use the interpreter's internals (ctypes, gc, inspect, weakref, types, dis, "
                     "ast...)",
    "grading": "answers may not use the course's grading machinery (grading_copy, the internals of "
               "helpers.checks, helpers.grading)",
    "modules": "answers may import only the modules the chapter's tasks need (README.md lists them per chapter)",
    "interpreter": "answers may not reach the interpreter: not through modules such as sys, logging or timeit, "
                   "other objects' attributes that are such modules (`torch.sys`, `np.os`), string resolvers "
                   "(`pkgutil.resolve_name`, `typing.get_type_hints`) or torch's interception modes",
}

# The modules answers may import (a package covers its submodules, unless a rule below names one):
# what every chapter's tasks may need, plus each chapter's libraries. Anything else breaks "modules".
ALLOWED_EVERYWHERE = ("math cmath statistics random itertools functools collections dataclasses typing enum numbers "
                      "fractions decimal heapq bisect operator copy string re textwrap warnings time numpy pandas "
                      "scipy matplotlib helpers")
CHAPTER_MODULES = {
    "01": "sklearn",
    "02": "sklearn shap",
    "03": "sklearn lime skimage shap",
    "04": "torch captum torchcam sklearn shap lime skimage",
    "05": "torch captum torchcam sklearn",
    "06": "torch captum sklearn",
    "07": "sklearn fairlearn gower",
    "08": "torch captum torchcam sklearn shap lime quantus",
    "09": "torch captum torchcam sklearn shap lime skimage fairlearn gower",  # the mock task: any method of 01-07
}


def allowed_modules(chapter: str | None) -> frozenset[str]:
    """The top-level modules answers of ``chapter`` ("04") may import; every chapter's for None or an unknown one."""
    extra = CHAPTER_MODULES.get(chapter) if chapter else None
    if extra is None:
        extra = " ".join(CHAPTER_MODULES.values())
    return frozenset((ALLOWED_EVERYWHERE + " " + extra).split())


# Importing these modules (or a submodule: the longest listed prefix decides) breaks the rule.
_MODULES = {
    "concurrency": "threading _thread multiprocessing concurrent subprocess signal asyncio sched joblib loky pty "
                   "_posixsubprocess torch.multiprocessing dask ray sklearn.utils.parallel sklearn.utils.fixes "
                   "threadpoolctl torch.utils.data torch.distributed",
    "files": "os posix nt io _io pathlib shutil glob tempfile sqlite3 _sqlite3 pickle _pickle marshal shelve dbm "
             "zipfile tarfile gzip bz2 lzma fileinput filecmp mmap socket ssl urllib http requests ftplib smtplib "
             "webbrowser linecache nbformat h5py imageio tokenize scipy.io skimage.io torch.hub posixpath ntpath "
             "genericpath stat codecs shap.datasets sklearn.datasets._base matplotlib.cbook",
    "ipython": "IPython ipykernel jupyter_client jupyter_core nbclient nbconvert zmq comm matplotlib_inline traitlets",
    "grading": "nbgrader helpers.grading helpers._context",
    "imports": "builtins __builtin__ importlib imp runpy pkgutil zipimport site __main__",
    "dynamic-code": "code codeop py_compile compileall torch.utils.cpp_extension",
    "introspection": "ctypes _ctypes cffi gc inspect weakref _weakref types dis ast traceback tracemalloc faulthandler "
                     "atexit resource copyreg contextvars unittest doctest _testcapi",
    "trace": "trace pdb bdb cProfile profile torch.profiler torch.autograd.profiler",
    "interpreter": "sys pydoc logging numpy.ctypeslib numpy.f2py torch.package torch.overrides torch.fx "
                   "torch.utils._python_dispatch timeit tqdm.contrib",
}
MODULE_RULES = {module: rule for rule, names in _MODULES.items() for module in names.split()}

# Attributes that break a rule whatever object they are read from (`s.settrace` with `s = sys`).
_ATTRIBUTES = {
    "trace": "settrace setprofile gettrace getprofile call_tracing",
    "frames": "_getframe _current_frames f_back f_globals f_locals f_builtins f_code f_trace tb_frame tb_next "
              "gi_frame gi_code cr_frame cr_code ag_frame ag_code co_code co_consts co_names",
    "ipython": "run_cell run_cell_async run_cell_magic run_line_magic transform_cell input_transformers_cleanup "
               "input_transformers_post input_transformer_manager ast_transformers events register_magic_function "
               "register_magics showtraceback showsyntaxerror set_custom_exc excepthook displayhook user_ns "
               "user_global_ns shell_handlers do_execute display_pub display_formatter get_ipython",
    "concurrency": "system popen fork forkpty execv execve execvp execvpe execl execle execlp execlpe spawnv spawnve "
                   "spawnvp spawnvpe spawnl spawnle spawnlp spawnlpe posix_spawn posix_spawnp kill killpg _exit "
                   "start_new_thread Thread ThreadPoolExecutor ProcessPoolExecutor run_in_executor Parallel "
                   "DataLoader Pool Process get_context set_start_method",
    "files": "open load loadtxt genfromtxt fromfile memmap save savez savez_compressed savetxt tofile to_csv "
             "to_pickle to_parquet to_excel to_hdf to_feather to_sql to_stata imread imsave savefig read_text "
             "read_bytes write_text write_bytes urlopen listdir scandir getcwd chdir environ getenv rmtree get_data "
             "fromregex DataSource HDFStore ExcelFile load_files load_svmlight_file load_svmlight_files read_file "
             "read_image fetch_openml open_file_cm to_filehandle from_file get_sample_data read_csv read_table "
             "read_fwf read_json read_pickle read_html read_xml read_parquet read_feather read_excel read_orc "
             "read_sas read_spss read_stata read_sql read_sql_table read_sql_query read_clipboard",
    "reflection": "attrgetter methodcaller",
    "imports": "meta_path path_hooks path_importer_cache import_module",
    "grading": "grading_copy IN_STUDENT_CODE SNAPSHOT",
    # Modules that other modules re-export as attributes (torch.sys, np.os...), resolvers that turn a
    # string into an object, and torch's modes that intercept every later torch call.
    "interpreter": "sys os builtins inspect gc ctypes importlib subprocess threading multiprocessing pickle marshal "
                   "linecache traceback weakref contextvars pdb runpy pkgutil pydoc signal atexit socket shutil "
                   "pathlib tempfile asyncio concurrent io logging timeit resolve_name locate get_type_hints "
                   "ForwardRef evaluate_forward_ref sys_importer currentframe getframeinfo ctypeslib f2py cdll "
                   "pythonapi TorchFunctionMode TorchDispatchMode _python_dispatch Formatter get_field vformat "
                   "LowLevelCallable load_library open_memmap",
}
ATTRIBUTE_RULES = {name: rule for rule, names in _ATTRIBUTES.items() for name in names.split()}

# Module attributes that break a rule (other attributes of these modules are fine: sys.float_info).
QUALIFIED_RULES = {
    "sys.modules": "imports", "sys.path": "imports", "sys.monitoring": "trace", "sys.last_traceback": "frames",
    "sys.breakpointhook": "ipython", "sys.addaudithook": "introspection", "sys.setswitchinterval": "concurrency",
    "sys.exc_info": "frames", "sys.exception": "frames", "torch.load": "files", "torch.save": "files",
}

# Names (builtins) that break a rule wherever they are used, unless the cell binds them itself.
_NAMES = {
    "reflection": "setattr delattr vars globals locals",
    "dynamic-code": "exec eval compile breakpoint",
    "files": "open",
    "imports": "__import__ __builtins__ __loader__ __spec__",
    "ipython": "get_ipython",
}
NAME_RULES = {name: rule for rule, names in _NAMES.items() for name in names.split()}

IPYTHON_HISTORY = re.compile(r"In|Out|_ih|_oh|_dh|_i\d*|_ii|_iii|_\d+")

# Operators and the container and numeric protocols: calling them is what `a + b` or `d[k] = v` does, so
# they are fine on any object (a foreign container changed through them breaks foreign-attribute).
PROTOCOL_DUNDERS = set("""__setitem__ __delitem__ __missing__ __reversed__ __add__ __radd__ __iadd__ __sub__ __rsub__
    __isub__ __mul__ __rmul__ __imul__ __matmul__ __rmatmul__ __truediv__ __rtruediv__ __floordiv__ __rfloordiv__
    __mod__ __rmod__ __pow__ __rpow__ __neg__ __pos__ __abs__ __invert__ __and__ __or__ __xor__ __lshift__
    __rshift__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __bool__ __float__ __int__ __index__ __round__
    __complex__ __array__ __format__ __sizeof__ __copy__ __deepcopy__ __length_hint__""".split())

# Double-underscore attributes honest code uses: super().__init__(...), f.__name__, np.__version__.
ALLOWED_DUNDERS = {"__init__", "__name__", "__qualname__", "__doc__", "__version__", "__len__", "__iter__",
                   "__next__", "__repr__", "__str__", "__enter__", "__exit__", "__call__", "__getitem__",
                   "__contains__"} | PROTOCOL_DUNDERS
ALLOWED_FREE_DUNDERS = {"__name__", "__doc__", "__debug__"}

DUNDER_WHAT = {
    "__wrapped__": "unwraps a decorated function (a course reference's original, say)",
    "__globals__": "reaches a function's global namespace",
    "__builtins__": "reaches the builtins",
    "__dict__": "reads or changes an object's namespace directly",
    "__code__": "reads or swaps a function's code",
    "__closure__": "reads a function's closure",
    "__class__": "walks to an object's class",
    "__bases__": "walks the class hierarchy",
    "__mro__": "walks the class hierarchy",
    "__subclasses__": "walks the class hierarchy",
    "__self__": "reaches the object behind a method",
    "__func__": "reaches the function behind a method",
    "__traceback__": "reaches a traceback's frames",
    "__setattr__": "sets attributes behind Python's back",
    "__getattribute__": "reads attributes behind Python's back",
    "__delattr__": "deletes attributes behind Python's back",
    "__import__": "imports behind Python's back",
}

# Names usually bound to a module in a notebook, known without an import in the audited cell.
CONVENTIONAL_MODULES = {
    "np": "numpy", "pd": "pandas", "plt": "matplotlib.pyplot", "os": "os", "sys": "sys", "io": "io",
    "threading": "threading", "subprocess": "subprocess", "multiprocessing": "multiprocessing",
    "asyncio": "asyncio", "builtins": "builtins", "importlib": "importlib", "ctypes": "ctypes", "gc": "gc",
    "inspect": "inspect", "shutil": "shutil", "pathlib": "pathlib", "pickle": "pickle", "IPython": "IPython",
    "torch": "torch", "nn": "torch.nn",
}

# Calls whose result may be (or hold) one of their arguments: the result of next([np]) is np.
PASSTHROUGH_BUILTINS = {"next", "iter", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed", "min",
                        "max", "filter", "map", "zip", "enumerate", "getattr", "vars", "type", "super", "reduce",
                        "partial", "__import__"}
# Methods that return their object or one of its items: m = forest.fit(...) is the notebook's forest.
PASSTHROUGH_METHODS = {"get", "pop", "popitem", "setdefault", "values", "items", "keys", "fit", "partial_fit",
                       "set_params", "set_output", "to", "train", "eval", "requires_grad_", "cpu", "cuda", "float",
                       "double", "half", "type", "apply", "__enter__", "__getitem__", "__next__", "send"}
# Methods that put their arguments into their object: box.append(np) makes box hold a module.
MUTATORS = {"append", "extend", "insert", "update", "setdefault", "add", "appendleft", "extendleft"}
# Methods that change a container in place: on a module's container (lib.TABLE.clear()) they change
# what the checks read.
IN_PLACE = MUTATORS | {"clear", "pop", "popitem", "remove", "discard", "sort", "reverse", "fill", "put",
                       "__setitem__", "__delitem__"}
# Module-level settings an answer may change: they alter display, not results.
SETTINGS = {"rcParams"}
