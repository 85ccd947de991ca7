"""The exercises' checker (course_utils.exercises, issues 11 and 16).

- every reference answer is Correct, every stub "Not answered yet";
- at least ten kinds of wrong answer per exercise are rejected without raising;
- every catalogued mistake carries an example answer, and the example gets its
  own diagnosis and no other; no two mistakes of one exercise coincide on its
  cases, and none coincides with the right answer;
- one precision rule for derived numbers (3 significant digits, told when an
  answer is right to fewer); a function the course trains through must let
  autograd go back through it;
- a hostile answer (a loop that never ends, a flood of printing, sys.exit())
  cannot hang, flood or escape the check;
- one module per notebook, one block per exercise, duplicates refused at import;
- answers are not modified; an unknown id is a ValueError listing the ids;
- every reference agrees with an independent computation (the core package,
  NumPy, finite differences, enumeration or a closed form).
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys
import threading
import time
import types

import numpy as np
import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils import exercises
from course_utils.exercises import checking
from course_utils.exercises.checking import Exercise, NumberAnswer, TensorAnswer, collect, given
from course_utils.training import pass_loss

IDS = exercises.ids()
EXERCISES = [exercises.exercise(i) for i in IDS]
FUNCTION_IDS = [e.id for e in EXERCISES if e.asks_for_function]
VALUE_IDS = [i for i in IDS if i not in FUNCTION_IDS]
MISTAKES = [(e.id, index, m) for e in EXERCISES for index, m in enumerate(e.mistakes)]
pinv, mpow, mnorm = torch.linalg.pinv, torch.linalg.matrix_power, torch.linalg.matrix_norm


def T(rows):
    return torch.tensor(rows, dtype=torch.get_default_dtype())


# --------------------------------------------------------------------------- the register
def test_ids_in_course_order_and_enough_per_notebook():
    assert len(IDS) >= 21 and len(set(IDS)) == len(IDS)
    assert IDS == sorted(IDS, key=lambda i: (int(i[:2]), int(i[3:])))
    for notebook in range(1, 9):
        numbers = [int(i[3:]) for i in IDS if i.startswith(f"{notebook:02d}.")]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3, (notebook, numbers)


def test_one_module_per_notebook_named_like_its_lesson():
    from course_utils import lessons

    assert [m.__name__.rsplit(".", 1)[1] for m in exercises.MODULES] == list(lessons.LESSONS)
    for number, module in enumerate(exercises.MODULES, start=1):
        assert module.EXERCISES and all(e.id.startswith(f"{number:02d}.") for e in module.EXERCISES), module


def _module(name, *ids):
    def block(id):
        return Exercise(id=id, task="t", reference=lambda x: x, cases=given(x=1.0), answer=NumberAnswer(digits=3),
                        hint="h", mistakes=())
    return types.SimpleNamespace(__name__=name, EXERCISES=[block(i) for i in ids])


def test_duplicates_and_disorder_are_refused_at_import():
    assert list(collect([_module("a", "01.1", "01.2"), _module("b", "02.1")])) == ["01.1", "01.2", "02.1"]
    with pytest.raises(ValueError, match="01.2 is defined twice"):
        collect([_module("a", "01.1", "01.2"), _module("b", "01.2")])
    with pytest.raises(ValueError, match="course order"):
        collect([_module("a", "02.1"), _module("b", "01.3")])
    with pytest.raises(ValueError, match="NN.k"):
        _module("a", "1.1")
    # the package's own import runs the same check: a module that repeats an id fails at import
    code = (
        "import course_utils.exercises.exact_inverse as m, course_utils.exercises.checking as c\n"
        "import course_utils.exercises.linear_operator as first\n"
        "m.EXERCISES.append(first.EXERCISES[0])\n"
        "import importlib, course_utils.exercises as e\n"
        "try:\n    importlib.reload(e)\nexcept ValueError as err:\n    print(err)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "01.1 is defined twice" in run.stdout, run.stdout + run.stderr


def test_a_mistake_needs_an_example_and_one_way():
    with pytest.raises(TypeError, match="needs an example"):
        checking.Mistake("x", "y", transform=lambda a: a)
    with pytest.raises(TypeError, match="exactly one"):
        checking.Mistake("x", "y", 1.0)


def test_at_least_half_ask_for_code():
    assert 2 * len(FUNCTION_IDS) >= len(IDS)


def test_unknown_id_is_a_value_error_listing_the_ids():
    for bad in ["09.1", "1.1", "", 1.1, None]:
        with pytest.raises(ValueError) as info:
            exercises.check(bad, ...)
        assert "01.1" in str(info.value) and IDS[-1] in str(info.value)
    with pytest.raises(ValueError, match="01.1"):
        exercises.reference("99.9")


def test_import_is_light_and_explicit():
    code = (
        "import sys, course_utils\n"
        "assert 'course_utils.exercises' not in sys.modules, 'course_utils imports exercises'\n"
        "from course_utils import exercises\n"
        "heavy = [m for m in ('ipywidgets', 'IPython', 'matplotlib.pyplot') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


# --------------------------------------------------------------------------- right, stub
@pytest.mark.parametrize("id", IDS)
def test_reference_is_correct(id):
    feedback = exercises.check(id, exercises.reference(id))
    assert feedback.correct, feedback.message
    assert feedback.message.startswith("Correct")


@pytest.mark.parametrize("id", IDS)
def test_stub_is_not_answered_yet(id):
    stubs = [...]
    if id in FUNCTION_IDS:

        def stub(*args):
            return ...  # the notebooks' stub: `return ...` where the learner writes

        stubs.append(stub)
    for answer in stubs:
        feedback = exercises.check(id, answer)
        assert not feedback.correct
        assert feedback.message.startswith("Not answered yet") and "Hint: " in feedback.message


def test_feedback_displays():
    for answer in [exercises.reference("01.2"), ..., "wrong"]:
        feedback = exercises.check("01.2", answer)
        assert repr(feedback) == str(feedback) == feedback.message
        html = feedback._repr_html_()
        assert html.startswith("<div") and feedback.message.split(":")[0] in html
    assert "&lt;" in exercises.check("01.2", "<b>")._repr_html_()


# --------------------------------------------------------------------------- wrong answers
def _raises(*args):
    return 1 / 0


def _returns_none(*args):
    return None


def _wrong_kinds(id):
    """Twelve kinds of wrong answer; the checker must reject each without raising."""
    ref = exercises.reference(id)
    kind = exercises.exercise(id).answer
    kinds = {
        "None": None,
        "a string": "a string",
        "a list": [1, 2, 3],
        "an int": 42,
        "a bool": True,
        "NaN": float("nan"),
        "an object": object(),
        "an array of strings": np.array(["a"]),
        "a complex number": 1 + 2j,
        "a wrong-shape tensor": torch.zeros(7, 7),
        "a NaN tensor": torch.full((3, 3), float("nan")),
        "a function raising ZeroDivisionError": _raises,
        "a function returning None": _returns_none,
        "a function returning a wrong shape": lambda *args: torch.zeros(7, 7),
    }
    if isinstance(getattr(kind, "returns", kind), TensorAnswer):

        def flip(t):  # a matrix transposed; a vector as a column
            return t.T if t.ndim == 2 else t.reshape(-1, 1)

        kinds["transposed"] = (lambda *args: flip(ref(*args))) if callable(ref) else flip(ref)
        kinds["NaN of the right shape"] = (
            (lambda *args: torch.full_like(ref(*args), float("nan")))
            if callable(ref)
            else torch.full_like(ref, float("nan"))
        )
    else:
        kinds["off by 0.5"] = (lambda *args: ref(*args) + 0.5) if callable(ref) else ref + 0.5
    return kinds


@pytest.mark.parametrize("id", IDS)
def test_wrong_answers_are_rejected_without_raising(id):
    kinds = _wrong_kinds(id)
    assert len(kinds) >= 10
    for name, answer in kinds.items():
        feedback = exercises.check(id, answer)
        assert not feedback.correct, (name, feedback.message)
        assert feedback.message.startswith("Not quite"), (name, feedback.message)
        assert "could not read" not in feedback.message, (name, feedback.message)
    if id in FUNCTION_IDS:
        assert "ZeroDivisionError: division by zero" in exercises.check(id, _raises).message
        assert "returned None" in exercises.check(id, _returns_none).message


def test_a_case_where_none_is_right_still_rejects_none_elsewhere():
    # 03.4: None is the answer when the loss never drops, and wrong everywhere else
    assert "returned None" in exercises.check("03.4", lambda losses: None).message


# --------------------------------------------------------------------------- the catalogued mistakes
def _results(exercise, answer):
    """(case, answer, expected) on the cases, as the checker reads them, up to a case where the answer raises."""
    kind = exercise.answer.returns if exercise.asks_for_function else exercise.answer
    out = []
    for _, case in exercise.cases():
        try:
            given_answer = answer(*[v.clone() if isinstance(v, torch.Tensor) else v for v in case.values()]) \
                if exercise.asks_for_function else answer
        except Exception:
            break
        expected = exercise.reference(**case)
        if given_answer is not None and expected is not None:
            out.append((case, kind.read(given_answer), kind.read(expected)))
    return kind, out


@pytest.mark.parametrize("id, index, mistake", MISTAKES, ids=[f"{i}: {m.name} ({n})" for i, n, m in MISTAKES])
def test_each_mistake_example_gets_its_own_diagnosis_and_no_other(id, index, mistake):
    exercise = exercises.exercise(id)
    feedback = exercises.check(id, mistake.example)
    assert not feedback.correct
    assert feedback.message.startswith(mistake.message), feedback.message
    kind, results = _results(exercise, mistake.example)
    assert exercise.explaining(kind, results) == [mistake]


@pytest.mark.parametrize("id", IDS)
def test_no_two_mistakes_coincide_and_none_is_the_right_answer(id):
    """On the exercise's cases, each mistake gives an answer of its own, different from the reference's."""
    exercise = exercises.exercise(id)
    kind = exercise.answer.returns if exercise.asks_for_function else exercise.answer
    cases = [case for _, case in exercise.cases()]
    formulas = [m for m in exercise.mistakes if m.test is None]

    def read(value):
        return None if value is None else kind.read(value)

    table = {m: [read(m.candidate(exercise.reference, case)) for case in cases] for m in formulas}
    expected = [read(exercise.reference(**case)) for case in cases]
    for mistake, values in table.items():
        assert any(v is not None and e is not None and not kind.same(v, e) for v, e in zip(values, expected)), (
            f"{id}: '{mistake.name}' gives the right answer on every case: it can never be diagnosed"
        )
    for a, b in itertools.combinations(formulas, 2):
        both = [(x, y) for x, y in zip(table[a], table[b]) if x is not None and y is not None]
        assert not both or not all(kind.same(x, y) for x, y in both), (
            f"{id}: '{a.name}' and '{b.name}' give the same answers on every case"
        )


def test_every_mistake_has_an_example_and_the_usual_ones_exist():
    names = {m.name for _, _, m in MISTAKES}
    for usual in [
        "transposed",
        "rows versus columns",
        "one iteration too few",
        "one iteration too many",
        "the mask not applied",
        "1-based index",
        "squared versus unsquared norm",
    ]:
        assert usual in names, usual
    assert all(m.example is not None for _, _, m in MISTAKES)


# --------------------------------------------------------------------------- one precision rule
NUMBER_IDS = [e.id for e in EXERCISES if isinstance(e.answer, NumberAnswer) and e.answer.digits is not None]


@pytest.mark.parametrize("id", NUMBER_IDS)
def test_a_derived_number_is_right_to_three_significant_digits(id):
    exact = float(exercises.reference(id))
    assert exercises.exercise(id).answer.digits == 3
    rounded = float(f"{exact:.3g}")
    assert exercises.check(id, rounded).correct, (id, rounded)
    assert exercises.check(id, float(f"{exact:.6g}")).correct
    two = float(f"{exact:.2g}")
    if two != rounded:  # right to 2 digits only: said so, and not Correct
        message = exercises.check(id, two).message
        assert message.startswith("Not quite") and "right to 2 significant digits; give 3" in message, message


def test_the_precision_rule_on_the_values_the_review_found():
    assert exercises.check("07.3", 0.128).correct  # the slider and the hint say 12.8 %
    assert exercises.check("02.3", 2.24).correct  # √5
    assert "right to 2 significant digits" in exercises.check("02.3", 2.2).message
    assert exercises.check("03.3", 164).correct  # ln 10 / ln(1 + 0.01 √2) = 163.97: 164 to 3 digits
    assert exercises.check("08.3", 88.9).correct
    message = exercises.check("08.3", 89).message  # 88.888…: right to 2 digits
    assert "right to 2 significant digits; give 3" in message, message
    message = exercises.check("08.3", 88.5).message  # 3 digits, the third wrong: not "right to 2"
    assert "not the expected value" in message and "right to" not in message, message
    assert exercises.check("04.3", 6).correct and not exercises.check("04.3", 6.004).correct  # a count is exact


def test_the_rule_is_stated_on_the_start_page():
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / "00_start_here.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "3 significant digits" in text and "1e-4" in text


# --------------------------------------------------------------------------- answers the course cannot use
def test_an_activation_that_breaks_autograd_is_not_correct():
    def in_place_on_the_copy(Z, row, f):  # passes every value check; the cube's backward fails
        out = Z.clone()
        out[row] = f(out[row])
        return out

    message = exercises.check("05.1", in_place_on_the_copy).message
    assert message.startswith("Not quite") and "autograd" in message and "inplace" in message, message
    # the same function in cu.train: the failure the checker now predicts
    S = cu.SparseMatrix(3, Omega=torch.ones(3, 3), generator=torch.Generator().manual_seed(0))
    X, Y = cu.seed_data()
    with pytest.raises(RuntimeError, match="inplace"):
        cu.train(S, X, Y, iterations=2, epochs=1, lr=0.01, tol=0.0,
                 activation=lambda Z, j: in_place_on_the_copy(Z, 1, lambda z: z**3))


@pytest.mark.parametrize(
    "id, answer, words",
    [
        ("05.1", lambda Z, row, f: exercises.reference("05.1")(Z, row, f).detach(), "cut off from autograd"),
        ("05.1", lambda Z, row, f: exercises.reference("05.1")(Z, row, f).numpy(), "NumPy array"),
        ("01.1", lambda Init, Omega, U, X: ((Init + Omega * U) @ X).detach(), "cut off from autograd"),
        ("01.3", lambda S, X, k: torch.from_numpy(np.linalg.matrix_power(S.detach().numpy(), k) @ X.numpy()),
         "cut off from autograd"),
        ("01.4", lambda Y, Y_hat: mnorm(Y - Y_hat).item(), "must return a torch.Tensor"),
        ("01.1", lambda Init, Omega, U, X: (Init + Omega * U.detach()) @ X, "cut off from autograd"),
        ("01.1", lambda Init, Omega, U, X: (Init + Omega * U.detach()) @ X + 0 * U.sum(),
         "gradient with respect to U is not the reference's"),
    ],
)
def test_a_result_the_course_cannot_train_through_is_not_correct(id, answer, words):
    message = exercises.check(id, answer).message
    assert message.startswith("Not quite") and words in message, message


def test_functions_the_course_trains_through_declare_it():
    trained = {e.id for e in EXERCISES if e.gradients}
    assert {"01.1", "01.3", "05.1", "05.4", "06.1", "08.1"} <= trained, trained
    for exercise in EXERCISES:
        for name in exercise.gradients:
            assert all(name in case for _, case in exercise.cases()), (exercise.id, name)


# --------------------------------------------------------------------------- hostile answers
def test_a_loop_that_never_ends_is_stopped_and_named(monkeypatch):
    monkeypatch.setattr(checking, "TIME_LIMIT", 1.0)

    def forever(*args):
        while True:
            pass

    start = time.perf_counter()
    feedback = exercises.check("01.3", forever)
    assert time.perf_counter() - start < 4
    assert feedback.message.startswith("Not quite") and "time limit of 1 s" in feedback.message
    assert "k = 2 on the seed's X" in feedback.message  # the case that was running

    def swallowing(*args):  # except Exception does not swallow the limit
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    assert "time limit" in exercises.check("01.3", swallowing).message


def test_the_time_limit_works_outside_the_main_thread(monkeypatch):
    monkeypatch.setattr(checking, "TIME_LIMIT", 1.0)
    found = []

    def forever(*args):
        while True:
            pass

    thread = threading.Thread(target=lambda: found.append(exercises.check("01.3", forever)))
    thread.start()
    thread.join(10)
    assert found and "time limit" in found[0].message


def test_the_time_limit_keeps_an_outer_timer():
    import signal

    signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        exercises.check("01.3", exercises.reference("01.3"))
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_a_flood_of_printing_is_captured_and_capped(capsys):
    def chatty(S, X, k):
        print("x" * 100_000)
        return exercises.reference("01.3")(S, X, k)

    feedback = exercises.check("01.3", chatty)
    assert feedback.correct, feedback.message
    out = capsys.readouterr()
    assert len(out.out) < checking.PRINT_LIMIT + 200 and out.err == ""
    assert re.search(r"\[your function printed [\d,]{7,} characters; the checker shows the first 2,000\]", out.out)


def test_exit_does_not_escape():
    import sys as system

    for exit_call in (lambda *a: system.exit(), lambda *a: system.exit(3)):
        feedback = exercises.check("01.3", exit_call)
        assert feedback.message.startswith("Not quite") and "sys.exit()" in feedback.message


def test_ctrl_c_still_interrupts():
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exercises.check("01.3", interrupted)


# --------------------------------------------------------------------------- nothing modified
def test_answers_are_not_modified():
    answer = exercises.reference("06.3").clone().requires_grad_(True)
    kept = answer.detach().clone()
    exercises.check("06.3", answer)
    exercises.check("06.3", answer.T)
    assert torch.equal(answer.detach(), kept) and answer.requires_grad

    seen = []

    def spy(Init, Omega, U, X):
        seen.append([t.clone() for t in (Init, Omega, U, X)])
        U.mul_(0)  # a learner's function that edits its argument
        return (Init + Omega * U) @ X

    message = exercises.check("01.1", spy).message
    assert "changed its argument U in place" in message
    # the checker's own cases were copies: the reference is still correct afterwards
    assert exercises.check("01.1", exercises.reference("01.1")).correct


def test_the_global_random_state_is_left_alone():
    state = torch.random.get_rng_state()
    for id in IDS:
        exercises.check(id, exercises.reference(id))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_float64_default_dtype():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for id in IDS:
            assert exercises.check(id, exercises.reference(id)).correct, id
    finally:
        torch.set_default_dtype(previous)


def test_each_check_ends_well_within_its_time_limit():
    """A generous bound (benchmarks/exercises.py measures the times): a check must not come near the limit."""
    for id in IDS:
        start = time.perf_counter()
        assert exercises.check(id, exercises.reference(id)).correct
        assert time.perf_counter() - start < checking.TIME_LIMIT / 2, id


# --------------------------------------------------------------------------- references, independently
def _random(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_01_references_against_the_package_and_numpy():
    Init, U, X = 0.1 * _random(1, 4, 4), _random(2, 4, 4), _random(3, 4, 2)
    Omega = torch.tril(torch.ones(4, 4))
    with torch.no_grad():
        expected = cu.SparseMatrix(4, Init=Init, Omega=Omega, U=U)(X)
    assert torch.allclose(exercises.reference("01.1")(Init, Omega, U, X), expected, atol=1e-6)

    S = _random(4, 4, 4)
    for k in [0, 1, 3]:
        trajectory = cu.iterate(cu.SparseMatrix(4, Init=S, Omega=torch.zeros(4, 4)), X, iterations=k)
        assert torch.allclose(exercises.reference("01.3")(S, X, k), trajectory[-1], atol=1e-5)
    assert torch.equal(exercises.reference("01.2"), T([[0, 0], [0, 1], [2, 0]]))

    Y, Y_hat = _random(5, 3, 2), _random(6, 3, 2)
    assert math.isclose(
        float(exercises.reference("01.4")(Y, Y_hat)), float(np.sqrt(((Y - Y_hat).numpy() ** 2).sum())), rel_tol=1e-6
    )

    X, Y = cu.seed_data()
    for k, Omega in [(1, torch.tril(torch.ones(3, 3))), (2, torch.ones(3, 3))]:
        S = cu.SparseMatrix(3, Omega=Omega, generator=torch.Generator().manual_seed(7))
        Init, U = S.Init.clone(), S.U.detach().clone()
        cu.train(S, X, Y, iterations=k, epochs=1, lr=0.05, tol=0.0)  # one SGD step
        assert torch.allclose(exercises.reference("01.5")(Init, Omega, U, X, Y, 0.05, k), S.U.detach(), atol=1e-6)


def test_02_references_against_the_package():
    X, Y, Init = _random(10, 3, 5), _random(11, 3, 5), _random(12, 3, 3)
    assert torch.allclose(exercises.reference("02.1")(X, Y, Init), cu.exact_solution(X, Y, Init=Init), atol=1e-5)
    Omega = T([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    assert torch.allclose(exercises.reference("02.4")(X, Y, Omega), cu.exact_solution(X, Y, Omega=Omega), atol=1e-5)
    assert torch.allclose(exercises.reference("02.2"), cu.exact_solution(*cu.seed_data()), atol=1e-6)
    assert math.isclose(exercises.reference("02.3") ** 2 + 2**2, 3**2)


def _loss64(U, X, Y, k):
    return float(np.linalg.norm(Y - np.linalg.matrix_power(U, k) @ X))


def test_03_references_against_finite_differences_and_the_closed_forms():
    # the gradient at 0 for X = e2, Y = -3 e1, one iteration, by central differences
    X, Y = np.eye(3)[:, [1]], -3 * np.eye(3)[:, [0]]
    grad = np.zeros((3, 3))
    for i, j in itertools.product(range(3), range(3)):
        E = np.zeros((3, 3))
        E[i, j] = 1e-6
        grad[i, j] = (_loss64(E, X, Y, 1) - _loss64(-E, X, Y, 1)) / 2e-6
    assert np.allclose(exercises.reference("03.1").numpy(), grad, atol=1e-5)

    # Hessian eigenvalues: the closed form for the seed's data, and finite differences on another case
    X, Y = cu.seed_data()
    r2 = math.sqrt(2)
    assert torch.allclose(exercises.reference("03.2")(X, Y, 2), T([-r2, -1, 0, 0, 0, 0, 0, 1, r2]), atol=1e-5)
    assert torch.allclose(exercises.reference("03.2")(X, Y, 3), torch.zeros(9), atol=1e-5)
    X64, Y64 = np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([[0.3, -1.0], [2.0, 0.5]])
    e, H = 1e-4, np.zeros((4, 4))
    for a, b in itertools.product(range(4), range(4)):
        Ea, Eb = np.eye(4)[a].reshape(2, 2) * e, np.eye(4)[b].reshape(2, 2) * e
        H[a, b] = (
            _loss64(Ea + Eb, X64, Y64, 2)
            - _loss64(Ea - Eb, X64, Y64, 2)
            - _loss64(Eb - Ea, X64, Y64, 2)
            + _loss64(-Ea - Eb, X64, Y64, 2)
        ) / (4 * e * e)
    got = exercises.reference("03.2")(torch.tensor(X64), torch.tensor(Y64), 2).numpy()
    assert np.allclose(got, np.linalg.eigvalsh(H), atol=1e-3)

    assert abs(exercises.reference("03.3") - 163.97) < 0.01  # the design notes' figure
    plateau = exercises.reference("03.4")
    assert [plateau(v) for v in ([3.0, 2.8, 2.7, 0.1], [1.0, 0.9], [1.0, 1.1, 1.0], [5.0])] == [2, 1, None, None]


def test_04_references_against_the_package_enumeration_and_gradient_flow():
    X, Y, H = _random(20, 4, 2), _random(21, 4, 2), _random(22, 4, 2)
    assert torch.allclose(exercises.reference("04.1")(X, Y, H), cu.lift_solve(X, Y, H).matrix, atol=1e-4)

    X, Y = cu.seed_data()
    for a, b in [(1.0, 1.0), (-0.7, 2.5)]:
        S = exercises.reference("04.2")(a, b)
        assert torch.allclose(mpow(S, 3) @ X, Y, atol=1e-5) and (S[1, 0], S[2, 1]) == (a, b)
        assert int((S != 0).sum()) == 3

    Omega = np.tril(np.ones((3, 3)))
    routes = sum(
        all(Omega[j, i] for i, j in zip((0, *mid), (*mid, 2))) for mid in itertools.product(range(3), repeat=2)
    )
    assert exercises.reference("04.3") == routes == 6

    a, b, dt = 0.3, 0.1, 1e-3  # gradient flow on L = (a b - 2)², small Euler steps
    for _ in range(20000):
        g = 2 * (a * b - 2)
        a, b = a - dt * g * b, b - dt * g * a
    assert abs(a * b - 2) < 1e-6 and abs(exercises.reference("04.4") - a) < 2e-3


def test_05_references_against_the_package():
    Z = _random(30, 4, 3)
    for row, fn, f in [(1, "cube", lambda z: z**3), (3, "tanh", torch.tanh), (0, "relu", torch.relu)]:
        assert torch.allclose(exercises.reference("05.1")(Z, row, f), cu.per_row(row, fn)(Z, 0), atol=1e-6)

    X, Y = cu.seed_data()
    S_cube = torch.zeros(3, 3)
    S_cube[1, 0], S_cube[2, 1] = -2.0, exercises.reference("05.2")  # the task: a = −2
    for S, fn in [(S_cube, "cube")] + [(exercises.reference("05.3")(a), "tanh") for a in (0.3, -1.2, 2.5)]:
        operator = cu.SparseMatrix(3, Init=S, Omega=torch.zeros(3, 3))
        assert torch.allclose(cu.iterate(operator, X, 2, cu.per_row(1, fn))[-1], Y, atol=1e-5)

    S, X = 0.5 * _random(31, 3, 3), _random(32, 3, 2)
    injected = cu.Injection(X, rows=0) >> cu.per_row(1, "cube")
    for k in [0, 1, 4]:
        expected = cu.iterate(cu.SparseMatrix(3, Init=S, Omega=torch.zeros(3, 3)), X, k, injected)[-1]
        assert torch.allclose(exercises.reference("05.4")(S, X, k), expected, atol=1e-5)


def test_06_references_against_the_training_loss_and_iterate():
    S, X, Y = 0.5 * _random(40, 3, 3), _random(41, 3, 2), _random(42, 3, 2)
    for k, w in [(1, 0.5), (3, 2.0), (2, 0.0)]:
        assert math.isclose(
            float(exercises.reference("06.1")(S, X, Y, k, w)), float(pass_loss(S, X, Y, k, None, w)), rel_tol=1e-5
        )
        trajectory = cu.iterate(cu.SparseMatrix(3, Init=S, Omega=torch.zeros(3, 3)), X, k)
        expected = torch.stack([mnorm(Y - Z) for Z in trajectory])
        assert torch.allclose(exercises.reference("06.4")(S, X, Y, k), expected, atol=1e-5)
    assert math.isclose(exercises.reference("06.2"), 2 + 0.5 * 3 * 2, rel_tol=1e-6)
    X, Y = cu.seed_data()
    assert torch.allclose(exercises.reference("06.3"), cu.lift_solve(X, Y, Y).matrix, atol=1e-5)


def test_07_references_against_the_package():
    for sizes in ([2, 3], [4, 6, 5, 3], [64, 16, 16, 10]):
        mask = cu.mlp_mask(sizes)
        assert torch.equal(exercises.reference("07.1")(sizes), mask)
        assert exercises.reference("07.2")(sizes) == int(mask.sum())
    assert math.isclose(exercises.reference("07.3"), float(cu.mlp_mask([64, 16, 16, 10]).mean()), rel_tol=1e-6)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    assert torch.allclose(exercises.reference("07.4")(model), cu.from_sequential(model).matrix, atol=1e-6)


def test_08_references_against_nn_rnn_and_the_package():
    from course_utils.lessons import recurrent_is_the_same_matrix as lesson
    from course_utils.recurrent import rnn_mask

    # 08.1: the hidden slot after T iterations is nn.RNN's h_n, S and b read off from_rnn
    torch.manual_seed(0)
    rnn = nn.RNN(5, 7)
    rmap = cu.from_rnn(rnn)
    b = torch.cat([torch.zeros(5), rmap.bias.detach()])[:, None]
    xs = _random(1, 6, 5, 3)  # T = 6 steps of 3 sequences, as columns
    _, h_n = rnn(xs.transpose(1, 2))
    assert torch.allclose(exercises.reference("08.1")(rmap.matrix, b, xs), h_n[0].T.detach(), atol=1e-6)
    # 08.2: an RNN's feedback is its diagonal block; an MLP has none; without its feedback a mask has no loop
    for sizes in ([3, 4], [2, 3, 3]):
        assert torch.equal(exercises.reference("08.2")(rnn_mask(sizes), sizes), rnn_mask(sizes) - cu.mlp_mask(sizes))
    assert not exercises.reference("08.2")(cu.mlp_mask([4, 6, 5, 3]), [4, 6, 5, 3]).any()
    for seed in range(5):
        sizes = [2, 3, 3, 2]
        mask = cu.random_mask(sizes, 20, torch.Generator().manual_seed(seed))
        feedback = exercises.reference("08.2")(mask, sizes)
        assert cu.IteratedMap(sizes, mask - feedback).depth is not None
        assert (cu.IteratedMap(sizes, mask).depth is None) == bool(feedback.any())
    # 08.3: the budgets the lesson compares
    width = exercises.reference("08.3")
    assert math.isclose(width * 18, float(lesson.readout_mask(32).sum()), rel_tol=1e-9)
    assert lesson.feedforward_width(32) == round(width)
    # 08.4: the map without h←h answers from the last row only
    reader = lesson.RowReader(cu.recurrent.RecurrentMap([8, 6, 10], lesson.readout_mask(6, diagonal=False),
                                                        activations=[nn.Tanh(), None], batch_first=True))
    images = torch.rand(4, 64, generator=torch.Generator().manual_seed(2))
    seen = exercises.reference("08.4")(images)
    other = torch.rand(4, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        other[:, 56:] = seen  # every other row changed, the last row kept
        assert torch.allclose(reader(images), reader(other), atol=1e-6)
        other[:, 56:] += 0.5
        assert not torch.allclose(reader(images), reader(other), atol=1e-3)
