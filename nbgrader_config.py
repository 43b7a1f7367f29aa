"""nbgrader configuration: solutions/ (source) -> course/ (release), local exchange, hardened grading.

nbgrader reads this file from the working directory; ``make`` targets and the tests run nbgrader
from the project's root. The preprocessors and the sandboxed kernel manager live in
``helpers/grading/`` (with their own tests); this file only configures them.
"""

import pathlib

from nbconvert.preprocessors import ClearMetadataPreprocessor

from helpers.grading.preprocessors import AuditCells, GuardedExecute, GuardTestCells, TagRaisingCellsForRelease

ROOT = pathlib.Path(__file__).resolve().parent

# The slowest honest cell of any chapter takes a few seconds on 2 cores (measured with `make bench`);
# 60 s leaves room for a loaded grading machine and still stops an infinite loop within a minute.
CELL_TIMEOUT_SECONDS = 60

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

# The course id and the exchange: a hub's, where a global nbgrader_config.py names them
# (/etc/jupyter/nbgrader_config.py, JUPYTER_CONFIG_PATH, ~/.jupyter: INSTRUCTORS.md); otherwise this
# course's id and a folder inside the course, for a trial on one account.
def _set_globally(section: str, key: str) -> bool:
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.loader import PyFileConfigLoader

    for folder in jupyter_config_path():
        path = pathlib.Path(folder) / "nbgrader_config.py"
        if not path.is_file() or path.resolve() == pathlib.Path(__file__).resolve():
            continue
        try:
            if key in PyFileConfigLoader(path.name, path=str(path.parent)).load_config().get(section, {}):
                return True
        except Exception:  # a broken global config is nbgrader's to report, not ours
            continue
    return False


c.CourseDirectory.root = str(ROOT)
if not _set_globally("CourseDirectory", "course_id"):
    c.CourseDirectory.course_id = "interpretability"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
if not _set_globally("Exchange", "root"):
    c.Exchange.root = str(ROOT / ".exchange")

# Byte-identical releases: drop execution timestamps and kernel details a saved run leaves behind.
c.ClearOutput.remove_metadata_fields = ["collapsed", "scrolled", "execution", "ExecuteTime"]
c.ClearMetadataPreprocessor.enabled = True
c.ClearMetadataPreprocessor.clear_cell_metadata = False
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = [("kernelspec",), ("language_info", "name")]
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    ClearMetadataPreprocessor,
    TagRaisingCellsForRelease,
]

# Grading: deleted test cells restored from the gradebook; the cells a student could edit audited
# (a cell that breaks a rule is not run and its tests score 0); the notebook run in a sandboxed
# kernel with a per-cell time limit, IPython's machinery verified before each test cell; then a
# test cell whose output shows a failed or missing check scores 0 (see helpers/grading/).
c.Execute.timeout = CELL_TIMEOUT_SECONDS
c.Autograde.autograde_preprocessors = [
    AuditCells,
    GuardedExecute,
    GuardTestCells,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.OverwriteCells.add_missing_cells = True
# The grading kernel cannot read this repository (solutions/, tests/, .git, the gradebook) nor the
# course root given on the command line, except the Python environment and helpers/ (Linux, root;
# elsewhere autograde warns and runs without it). False turns the sandbox off.
c.SandboxKernelManager.sandbox = True
c.SandboxKernelManager.course_roots = [str(ROOT)]

# Feedback shows scores and failure messages, never the hidden tests' source or the mark scheme.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
