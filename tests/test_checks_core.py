"""The check framework: outcomes, messages, display, hints, graded failures."""

import numpy as np
import pytest

from helpers.checks._core import (
    Chapter,
    CheckFailed,
    Exercise,
    Feedback,
    Incorrect,
    Outcome,
    as_float_array,
    call,
    choice,
)


def _square_check(answer):
    value = as_float_array(call(answer, np.arange(3.0)), "your result", shape=(3,))
    if not np.allclose(value, np.arange(3.0) ** 2):
        raise Incorrect("the squares are wrong")


EXERCISE = Exercise("square", "0.1", "0. Squares", _square_check, hints=["first nudge", "second nudge", "outline"])


def test_outcomes():
    assert EXERCISE.run(lambda x: x ** 2).outcome is Outcome.CORRECT
    assert EXERCISE.run(lambda x: x * 2).outcome is Outcome.INCORRECT
    assert EXERCISE.run(None).outcome is Outcome.NOT_ATTEMPTED

    def stub(x):
        raise NotImplementedError()

    assert EXERCISE.run(stub).outcome is Outcome.NOT_ATTEMPTED
    assert EXERCISE.run(lambda x: x / 0 + undefined_name).outcome is Outcome.ERROR  # noqa: F821


def test_incorrect_message_names_the_property_and_the_section():
    feedback = EXERCISE.run(lambda x: x * 2)
    assert "the squares are wrong" in feedback.message and '"0. Squares"' in feedback.message


def test_error_message_shows_the_call_and_the_students_frame_only():
    def broken(x):
        return x[10]

    feedback = EXERCISE.run(broken)
    assert "IndexError" in feedback.message and "broken(<array of shape (3,)>)" in feedback.message
    assert "return x[10]" in feedback.details and "helpers/checks/_calls.py" not in feedback.details


def test_shape_and_type_problems_are_incorrect_not_crashes():
    assert "shape (3,)" in EXERCISE.run(lambda x: np.zeros(4)).message
    assert "numeric array" in EXERCISE.run(lambda x: "abc").message
    assert "NaN" in EXERCISE.run(lambda x: x * np.nan).message
    assert "return" in EXERCISE.run(lambda x: None).message


def test_an_object_claiming_equality_is_not_accepted():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __array__(self, *args, **kwargs):
            raise TypeError("not an array")

    # Its `__array__` runs as the answer's own code, before the check compares anything: ERROR, with the call.
    feedback = EXERCISE.run(lambda x: AlwaysEqual())
    assert feedback.outcome is Outcome.ERROR and "not an array" in feedback.message, feedback.message


def test_passed_visible_check_says_more_checks_run_at_grading():
    message = EXERCISE.run(lambda x: x ** 2).message
    assert "More checks" in message and "graded" in message


def test_calling_displays_and_raises_unless_correct(capsys):
    EXERCISE(lambda x: x ** 2)
    assert "[CORRECT]" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as failure:
        EXERCISE(lambda x: x * 2)
    assert failure.value.feedback.outcome is Outcome.INCORRECT
    assert "[INCORRECT]" in capsys.readouterr().out


def test_check_failed_hides_the_test_source_in_ipython_tracebacks():
    feedback = Feedback("Exercise 0.1 square", Outcome.INCORRECT, "the squares are wrong")
    lines = CheckFailed(feedback)._render_traceback_()
    assert lines == ["CheckFailed: [INCORRECT] Exercise 0.1 square: the squares are wrong"]


def test_grade_uses_a_plain_success_line(capsys):
    EXERCISE.grade(lambda x: x ** 2)
    assert "passed a grading check" in capsys.readouterr().out


def test_markdown_and_plain_renderings():
    feedback = EXERCISE.run(lambda x: x * 2)
    assert feedback._repr_markdown_().startswith("❌ **Exercise 0.1 square (incorrect)**: the squares")
    assert str(feedback).startswith("[INCORRECT] Exercise 0.1 square:")


def test_warnings_are_silenced_during_a_check(recwarn):
    import warnings

    def noisy(x):
        warnings.warn("library chatter", UserWarning, stacklevel=2)
        return x ** 2

    assert EXERCISE.run(noisy).passed and not recwarn.list


def test_graduated_hints(capsys):
    EXERCISE.hint()
    out = capsys.readouterr().out
    assert "Hint 1 of 3" in out and "first nudge" in out and ".hint(2)" in out
    EXERCISE.hint(3)
    out = capsys.readouterr().out
    assert "outline" in out and "This is the last hint" in out
    EXERCISE.hint(9)  # past the last: says so, never repeats the last hint silently
    out = capsys.readouterr().out
    assert "No more hints: hint 3 was the last" in out and "outline" not in out
    with pytest.raises(ValueError, match="hint level must be an integer >= 1"):
        EXERCISE.hint(0)


def test_a_check_may_replace_the_success_message():
    exercise = Exercise("e", "0.3", "S", lambda answer: "well done")
    assert exercise.run("x").message == "well done"


def test_multiple_choice_validates_form_without_key_and_grades_with_it():
    from helpers.checks._core import Recorded
    check_choice = choice("ABCD")
    with pytest.raises(Recorded, match="answer B recorded"):
        check_choice(" b ")
    assert check_choice("b", key="B") is None
    for bad, pattern in ((1, "one letter as a string"), ("E", "one of"), ("AB", "one of")):
        with pytest.raises(Incorrect, match=pattern):
            check_choice(bad)
    with pytest.raises(Incorrect, match="not the best explanation"):
        check_choice("A", key="B")

    class Sneaky(str):
        def __eq__(self, other):
            return True
    with pytest.raises(Incorrect, match="one letter as a string"):
        check_choice(Sneaky("A"), key="B")


WHY = Exercise("why", "D0 (b)", "Drill D0 · Why", choice("ABC"), heading="why")


@pytest.fixture
def key_patched(monkeypatch):
    """Patch where the self-study key comes from; the environment record would see the patch (as it
    sees an answer's), so it is told to look away for these tests."""
    from helpers.checks import _integrity, _keys
    monkeypatch.setattr(_integrity, "verify", lambda: None)
    return lambda key: monkeypatch.setattr(_keys, "answer_key", lambda chapter, name: key)


def test_a_recorded_answer_is_neither_right_nor_wrong_and_does_not_fail_the_cell(capsys, key_patched):
    key_patched(None)  # a class: no solutions/
    feedback = WHY.run("A")
    assert feedback.outcome is Outcome.RECORDED and not feedback.passed
    assert "graded when the notebook is graded" in feedback.message
    WHY("A")                                                     # displays, does not raise
    out = capsys.readouterr().out
    assert "[RECORDED]" in out and "[CORRECT]" not in out
    with pytest.raises(CheckFailed):                             # a form error still fails
        WHY("Z")


def test_self_study_gives_a_verdict_with_the_explanation(capsys, key_patched):
    from helpers.checks import _keys
    key_patched(_keys.Key({"key": "B"}, "Because."))
    WHY("b")
    assert "[CORRECT]" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as failure:
        WHY("A")
    assert failure.value.feedback.outcome is Outcome.INCORRECT
    assert "Because." not in failure.value.feedback.message  # the whole explanation would give the key away
    WHY.explain()
    assert "Because." in capsys.readouterr().out


def test_a_wrong_letter_is_told_why_that_letter_is_wrong_and_not_the_key(capsys, key_patched):
    from helpers.checks import _keys
    per_option = {"A": "A confuses cause and effect.", "B": "B is the mechanism.", "C": "C is not a property."}
    key_patched(_keys.Key({"key": "B"}, per_option))
    with pytest.raises(CheckFailed) as failure:
        WHY("a")
    message = failure.value.feedback.message
    assert "Why not A: A confuses cause and effect." in message
    assert "B is the mechanism" not in message and "C is not a property" not in message
    assert "explain()" in message
    capsys.readouterr()
    WHY(" B ")
    out = capsys.readouterr().out
    assert "[CORRECT]" in out and "B: B is the mechanism." in out and "A: A confuses" in out
    assert out.index("B: B is") < out.index("A: A confuses")  # the key's explanation first
    WHY.explain()
    assert "C: C is not a property." in capsys.readouterr().out


def test_a_class_has_no_explanation_to_show(capsys, key_patched):
    key_patched(None)
    WHY.explain()
    assert "comes with the graded notebook" in capsys.readouterr().out


def _solutions_with_hidden_test(root, grade_arguments: str):
    """A solutions/ folder with one chapter-07 notebook whose hidden test grades `why` with these arguments."""
    import json
    folder = root / "07-demo"
    folder.mkdir()
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source":
              f'check.why(why)\n### BEGIN HIDDEN TESTS\ngrading_copy("ch07").why.grade(why, {grade_arguments})\n'
              '### END HIDDEN TESTS\n'}]
    (folder / "07-demo.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))


def test_validate_reads_the_self_study_key_but_autograde_never(tmp_path, monkeypatch):
    from helpers.checks import _keys
    _solutions_with_hidden_test(tmp_path, 'key="C", explanation={"A": "no.", "C": "yes."}')
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")  # Validate must agree with the check's verdict
    key = _keys.answer_key("07", "why", solutions=tmp_path)
    assert key.options == {"key": "C"} and key.of("A") == "no." and key.full() == "C: yes. A: no."
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # grading: only the hidden test carries the key
    assert _keys.answer_key("07", "why", solutions=tmp_path) is None


def test_a_hidden_test_without_key_never_passes():
    with pytest.raises(CheckFailed):
        WHY.grade("A")
    WHY.grade("B", key="B", explanation="Because.")


def test_a_graded_wrong_letter_is_told_why_that_letter_is_wrong_and_not_the_key():
    """The feedback of a graded notebook shows the hidden test's output: the wrong option's own sentence,
    never another option's (the key's sentence would give it away to whoever reads the feedback)."""
    per_option = {"A": "A confuses cause and effect.", "B": "B is the mechanism.", "C": "C is not a property."}
    with pytest.raises(CheckFailed) as failure:
        WHY.grade(" a", key="B", explanation=per_option)
    message = failure.value.feedback.message
    assert failure.value.feedback.outcome is Outcome.INCORRECT
    assert message.endswith("Why not A: A confuses cause and effect.")
    assert "B is the mechanism" not in message and "C is not a property" not in message
    with pytest.raises(CheckFailed) as failure:                  # one sentence for the question: nothing added
        WHY.grade("C", key="B", explanation="Because.")
    assert "Because." not in failure.value.feedback.message
    with pytest.raises(CheckFailed) as failure:                  # a form error is not a wrong letter
        WHY.grade("Z", key="B", explanation=per_option)
    assert "Why not" not in failure.value.feedback.message
    WHY.grade("b", key="B", explanation=per_option)


def test_answer_keys_are_read_from_the_hidden_tests_of_solution_notebooks(tmp_path):
    from helpers.checks import _keys
    _solutions_with_hidden_test(tmp_path, 'key="C", explanation="C is right."')
    key = _keys.answer_key("07", "why", solutions=tmp_path)
    assert key.options == {"key": "C"} and key.explanation == "C is right."
    assert _keys.answer_key("07", "other", solutions=tmp_path) is None
    assert _keys.answer_key("07", "why", solutions=tmp_path / "missing") is None


def test_a_chapter_declares_each_exercise_once_and_resolves_names():
    chapter = Chapter("00", [Exercise("alpha", "0.1", "S", _square_check), Exercise("beta", "0.2", "S", _square_check)])
    assert chapter.attribute("alpha").title == "Exercise 0.1 alpha" and chapter.names == ["alpha", "beta"]
    assert chapter.attribute("beta").chapter == "00"
    with pytest.raises(AttributeError, match="no exercise or attribute 'gamma'"):
        chapter.attribute("gamma")
    with pytest.raises(ValueError, match="share a name"):
        Chapter("00", [Exercise("alpha", "0.1", "S", _square_check)] * 2)
    assert WHY.title == "Drill D0 (b) why"


def test_grading_fails_once_a_watched_module_was_patched(monkeypatch):
    Chapter("00", [])                                            # records the modules loaded now
    EXERCISE.grade(lambda x: x ** 2)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(CheckFailed, match="numpy.allclose` was changed"):
        EXERCISE.grade(lambda x: x ** 2)


def test_an_answer_that_delegates_to_a_course_reference_is_incorrect():
    from helpers._context import reference

    @reference
    def squares(x):
        return x ** 2

    assert squares(np.arange(3.0)).tolist() == [0.0, 1.0, 4.0]          # fine outside a check
    feedback = EXERCISE.run(lambda x: squares(x))
    assert feedback.outcome is Outcome.INCORRECT and "reference implementation" in feedback.message
    assert squares(np.arange(2.0)).tolist() == [0.0, 1.0]                # the guard is reset after
    assert not hasattr(squares, "__wrapped__")                           # no unguarded original handed out


# A library that "implements the exercise": the standard library's statistics module (pure Python).
FORBIDDING = Exercise("square", "0.2", "0. Squares", _square_check, forbidden={"statistics": "the statistics module"})


def test_an_answer_that_runs_the_forbidden_library_is_incorrect():
    import statistics
    from statistics import fmean  # bound before the check: still caught, the library's code runs

    def delegates(x):
        return np.array([fmean([v * v]) for v in x])

    def delegates_via_module(x):
        return np.array([statistics.fmean([v, v]) ** 2 for v in x])

    for answer in (delegates, delegates_via_module):
        feedback = FORBIDDING.run(answer)
        assert feedback.outcome is Outcome.INCORRECT, feedback
        assert "runs the statistics module" in feedback.message
    assert FORBIDDING.run(lambda x: x ** 2).outcome is Outcome.CORRECT
    assert EXERCISE.run(delegates).outcome is Outcome.CORRECT            # allowed where not forbidden


def test_a_delegating_answer_that_also_fails_is_reported_as_delegating():
    import statistics

    def delegates_then_raises(x):
        statistics.fmean([1.0])
        raise ValueError("and then fails")

    feedback = FORBIDDING.run(delegates_then_raises)
    assert feedback.outcome is Outcome.INCORRECT and "statistics module" in feedback.message


def test_the_trace_function_is_restored_and_guarded():
    import sys

    def tracer(frame, event, arg):
        return None

    sys.settrace(tracer)                      # a debugger's trace function survives a check
    try:
        assert FORBIDDING.run(lambda x: x ** 2).outcome is Outcome.CORRECT
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)

    def untraces(x):
        sys.settrace(None)
        return x ** 2

    feedback = FORBIDDING.run(untraces)
    assert feedback.outcome is Outcome.INCORRECT and "sys.settrace" in feedback.message
    assert sys.gettrace() is None


def test_work_done_in_a_thread_is_watched_too():
    import statistics
    import threading

    def in_a_thread(x):
        out = {}
        worker = threading.Thread(target=lambda: out.update(v=[statistics.fmean([v * v]) for v in x]))
        worker.start()
        worker.join()
        return np.array(out["v"])

    feedback = FORBIDDING.run(in_a_thread)
    assert feedback.outcome is Outcome.INCORRECT and "statistics module" in feedback.message


def test_the_trace_must_see_the_answers_own_code_run():
    feedback = FORBIDDING.run(np.square)  # a library function under the answer's name: no code of the student's
    assert feedback.outcome is Outcome.INCORRECT and "never saw your own code run" in feedback.message
    assert FORBIDDING.run(lambda x: x ** 2).outcome is Outcome.CORRECT


def test_removing_and_restoring_the_trace_function_is_noticed():
    import statistics
    import sys

    def hides(x):
        trace = sys.gettrace()
        sys.settrace(None)
        values = [statistics.fmean([v * v]) for v in x]
        sys.settrace(trace)
        return np.array(values)

    feedback = FORBIDDING.run(hides)  # the runtime guard refuses the switch itself
    assert feedback.outcome is Outcome.INCORRECT and "change the trace function" in feedback.message
    assert sys.gettrace() is None


class _Shell:
    """What the visible audit reads of IPython: the user namespace with its input history."""

    def __init__(self, cells, **names):
        self.user_ns = {"In": ["", *cells], **names}


def test_the_visible_audit_reads_the_cell_that_assigned_the_passed_name():
    from helpers.checks._answer_cells import answer_cell_sources

    letter = "C"  # interned: other names are bound to the very same object
    cells = ['d2_why = "C"', 'other = "C"\nimport os', "check.d2_why(d2_why)"]
    shell = _Shell(cells, d2_why=letter, other=letter)
    assert answer_cell_sources((letter,), "d2_why", shell) == ['d2_why = "C"']
    # an augmented assignment, a tuple target and a later reassignment are all read with ast
    cells = ["a, b = 1, 2", "b += 1", "x_b = 5", "check.pair(a, b)"]
    assert answer_cell_sources((1, 3), "pair", _Shell(cells, a=1, b=3)) == ["a, b = 1, 2", "b += 1"]
    # no plain name passed: any name bound to the answer
    table = np.zeros(2)
    cells = ["t = np.zeros(2)", "check.table(t + 0)"]
    assert answer_cell_sources((table,), "table", _Shell(cells, t=table)) == ["t = np.zeros(2)"]
