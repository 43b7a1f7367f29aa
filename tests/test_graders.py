"""Every check, against the answers kept in tests/answers: the graded test cells of solutions/
pass the reference answers (the solution notebook's answer cells, markers removed) and the
alternative-correct answers, fail each wrong answer with the intended message, say NOT ATTEMPTED on
the release's stub and ERROR on code that raises."""

import re

import pytest

from helpers.checks._core import Outcome
from tests.notebook_tools import COURSE, ChapterRun, catalogue, chapters, grade_id, is_answer, read, reference_answers

pytestmark = pytest.mark.slow  # each chapter's solution notebook runs once in-process

_RUNS: dict[str, ChapterRun] = {}


def run_of(chapter: str) -> ChapterRun:
    if chapter not in _RUNS:
        _RUNS[chapter] = ChapterRun(chapter)
    return _RUNS[chapter]


def _answer_ids(chapter):
    return [grade_id(c) for c in read(chapter).cells if is_answer(c)]


def _cases(kind):
    cases = []
    for chapter in chapters():
        answers = catalogue(chapter)
        if kind == "wrong":
            for answer_id, wrongs in answers.WRONG.items():
                cases += [pytest.param(chapter, answer_id, label, source, pattern,
                                       id=f"{chapter}:{answer_id}:{label}")
                          for label, source, pattern in wrongs]
        elif kind == "more":
            for answer_id, more in getattr(answers, "MORE_ALTERNATIVES", {}).items():
                cases += [pytest.param(chapter, answer_id, label, source, id=f"{chapter}:{answer_id}:{label}")
                          for label, source in more]
        else:
            table = reference_answers(chapter) if kind == "reference" else getattr(answers, kind.upper(), {})
            cases += [pytest.param(chapter, answer_id, table[answer_id], id=f"{chapter}:{answer_id}")
                      for answer_id in table]
    return cases


@pytest.mark.parametrize("chapter", chapters())
def test_catalogue_covers_every_exercise(chapter):
    answers = catalogue(chapter)
    for answer_id in _answer_ids(chapter):
        assert answer_id in answers.ALTERNATIVE, f"{answer_id}: no alternative-correct answer in tests/answers"
        assert len(answers.WRONG.get(answer_id, [])) >= 2, f"{answer_id}: fewer than two wrong answers"
        assert run_of(chapter).tests[answer_id], f"{answer_id}: no test cell follows this answer cell"


@pytest.mark.parametrize(("chapter", "answer_id", "source"), _cases("reference"))
def test_reference_answer_passes(chapter, answer_id, source):
    for result in run_of(chapter).replay(answer_id, source):
        assert result.passed, f"{result.grade_id} fails the reference answer: {result.message}"


@pytest.mark.parametrize("chapter", chapters())
def test_solution_notebook_answers_pass(chapter):
    run = run_of(chapter)
    for answer_id in run.tests:
        for result in run.replay(answer_id, run.cells[answer_id].source):
            assert result.passed, f"{result.grade_id}: the solution fails: {result.message}"


@pytest.mark.parametrize(("chapter", "answer_id", "source"), _cases("bases"))
def test_base_of_planted_pitfalls_passes(chapter, answer_id, source):
    """A wrong answer planted in a correct base differs from a right answer by its pitfall alone."""
    for result in run_of(chapter).replay(answer_id, source):
        assert result.passed, f"{result.grade_id} fails the base of the planted pitfalls: {result.message}"


@pytest.mark.parametrize(("chapter", "answer_id", "source"), _cases("alternative"))
def test_alternative_correct_answer_passes(chapter, answer_id, source):
    for result in run_of(chapter).replay(answer_id, source):
        assert result.passed, f"{result.grade_id} fails a correct answer: {result.message}"


@pytest.mark.parametrize(("chapter", "answer_id", "label", "source"), _cases("more"))
def test_more_correct_answers_pass(chapter, answer_id, label, source):
    """Correct answers in other styles an audit found punished: torch.func, a deep copy of the model..."""
    for result in run_of(chapter).replay(answer_id, source):
        assert result.passed, f"{result.grade_id} fails the correct answer '{label}': {result.message}"


@pytest.mark.parametrize(("chapter", "answer_id", "label", "source", "pattern"), _cases("wrong"))
def test_wrong_answer_fails_with_its_message(chapter, answer_id, label, source, pattern):
    results = run_of(chapter).replay(answer_id, source)
    for result in results:
        assert not result.passed, f"{result.grade_id} passes the wrong answer '{label}'"
        assert result.is_check_failure, f"{result.grade_id}: crashed with {result.error!r}"
        assert result.outcome == Outcome.INCORRECT.value, f"{result.grade_id}: {result.outcome} for '{label}'"
    assert any(re.search(pattern, r.message) for r in results), \
        f"no message matches {pattern!r}: {[r.message for r in results]}"


@pytest.mark.parametrize("chapter", chapters())
def test_release_stub_is_not_attempted(chapter):
    run = run_of(chapter)
    stubs = {grade_id(c): c.source for c in read(chapter, COURSE).cells if is_answer(c)}
    for answer_id, source in stubs.items():
        for result in run.replay(answer_id, source):
            assert result.is_check_failure, f"{result.grade_id}: {result.error!r} on the stub"
            assert result.outcome == Outcome.NOT_ATTEMPTED.value, f"{result.grade_id}: {result.outcome} on the stub"


@pytest.mark.parametrize(("chapter", "answer_id", "source"), _cases("error"))
def test_raising_code_is_an_error(chapter, answer_id, source):
    for result in run_of(chapter).replay(answer_id, source):
        assert result.is_check_failure, f"{result.grade_id}: {result.error!r}"
        assert result.outcome == Outcome.ERROR.value, f"{result.grade_id}: {result.outcome}"
        assert "when called as" in result.message
