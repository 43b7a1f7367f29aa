"""nbgrader configuration: solutions/ (source) -> course/ (release), local exchange, grading guards.

nbgrader reads this file from the working directory; ``make`` targets and the tests run nbgrader
from the project's root. The classes below are nbgrader preprocessors used only by this pipeline.
"""

import pathlib

from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor, Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

ROOT = pathlib.Path(__file__).resolve().parent

# The slowest honest cell of any chapter takes a few seconds on 2 cores (measured with `make bench`);
# 60 s leaves room for a loaded grading machine and still stops an infinite loop within a minute.
CELL_TIMEOUT_SECONDS = 60


class TagRaisingCellsForRelease(Preprocessor):
    """Tag the release's answer and test cells ``raises-exception``.

    In the blank release these cells raise (the stub's ``NotImplementedError``, a check that says
    NOT ATTEMPTED). The tag lets ``pytest --nbval-lax course/`` run, and lets a student "Run All"
    past an unsolved exercise, while any other failing cell (imports, data) still fails.
    """

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and (is_grade(cell) or is_solution(cell)):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
        return cell, resources


class GuardedExecute(Execute):
    """nbgrader's Execute, plus: when the kernel dies, the cells that never ran score 0.

    Without this, a submission whose answer cell calls ``os._exit`` aborts the run, and cells left
    without output would count as passed. Every code cell the dead kernel never executed gets an
    error output instead, and grading goes on.
    """

    def preprocess(self, nb, resources, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except DeadKernelError as error:
            self.log.warning("kernel died during grading (%s); cells that did not run score 0", error)
            for cell in nb.cells:
                if cell.cell_type == "code" and cell.get("execution_count") is None:
                    cell.outputs = [NotebookNode(
                        output_type="error", ename="DeadKernelError",
                        evalue="the kernel died before this cell ran",
                        traceback=["DeadKernelError: the kernel died before this cell ran"])]
            return nb, resources


c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "interpretability"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
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

# Grading: per-cell time limit, guarded kernel, deleted test cells restored from the gradebook.
c.Execute.timeout = CELL_TIMEOUT_SECONDS
c.Autograde.autograde_preprocessors = [
    GuardedExecute,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.OverwriteCells.add_missing_cells = True

# Feedback shows scores and failure messages, never the hidden tests' source or the mark scheme.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
