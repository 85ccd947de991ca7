"""The exercises' checker (course_utils.exercises, issue 11).

- every reference answer is Correct, every stub "Not answered yet";
- at least ten kinds of wrong answer per exercise are rejected without raising;
- each named mistake, written here by hand the way a learner would make it,
  gets its diagnosis;
- answers are not modified; an unknown id is a ValueError listing the ids;
- every reference agrees with an independent computation (the core package,
  NumPy, finite differences, enumeration or a closed form).
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils import exercises
from course_utils.exercises.checking import TensorAnswer
from course_utils.exercises.table import EXERCISES
from course_utils.training import pass_loss

IDS = exercises.ids()
FUNCTION_IDS = [i for i in IDS if callable(exercises.reference(i))]
VALUE_IDS = [i for i in IDS if i not in FUNCTION_IDS]
pinv, mpow, mnorm = torch.linalg.pinv, torch.linalg.matrix_power, torch.linalg.matrix_norm


def T(rows):
    return torch.tensor(rows, dtype=torch.get_default_dtype())


# --------------------------------------------------------------------------- the table
def test_ids_in_course_order_and_enough_per_notebook():
    assert len(IDS) >= 21 and len(set(IDS)) == len(IDS)
    assert IDS == sorted(IDS, key=lambda i: (int(i[:2]), int(i[3:])))
    for notebook in range(1, 9):
        numbers = [int(i[3:]) for i in IDS if i.startswith(f"{notebook:02d}.")]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3, (notebook, numbers)


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
    kind = next(e for e in EXERCISES if e.id == id).kind
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


# --------------------------------------------------------------------------- named mistakes
def _step(Init, Omega, U, X, Y, lr, k, masked=True, sign=-1, power=1, extra=0):
    U = U.clone().requires_grad_(True)
    Z = X
    for _ in range(k + extra):
        Z = (Init + (Omega * U if masked else U)) @ Z
    loss = mnorm(Y - Z) ** power
    loss.backward()
    return (U + sign * lr * U.grad).detach()


def _lift(X, Y, H, dim=1, swap=False):
    A, B = torch.cat([X, H], dim), torch.cat([H, Y], dim)
    return A @ pinv(B) if swap else B @ pinv(A)


def _hessian(X, Y, k, power=1, order="ascending"):
    n = X.shape[0]
    H = torch.autograd.functional.hessian(
        lambda u: mnorm(Y - mpow(u.reshape(n, n), k) @ X) ** power, torch.zeros(n * n)
    )
    values = torch.linalg.eigvalsh(H)
    return values.flip(0) if order == "descending" else values


def _plateau(losses, one_based=False, strict=False):
    for i, loss in enumerate(losses):
        if loss < 0.9 * losses[0] if strict else loss <= 0.9 * losses[0]:
            return i + 1 if one_based else i
    return None


def _three(a, b, where=(2, 2), transpose=False):
    S = torch.zeros(3, 3)
    S[1, 0], S[2, 1] = a, b
    if where is not None:
        S[where] = 2 / (a * b)
    return S.T if transpose else S


def _per_row(Z, row, f, how="row"):
    out = Z.clone()
    if how == "column":
        out[:, row] = f(Z[:, row])
    elif how == "1-based":
        out[row - 1] = f(Z[row - 1])
    elif how == "all":
        out = f(Z)
    elif how == "in place":
        Z[row] = f(Z[row])
        return Z
    return out


def _injected(S, X, k, extra=0, inject=True, before=False):
    Z = X.clone()
    for _ in range(k + extra):
        if before:
            Z[0] = X[0]
        Z = S @ Z
        Z[1] = Z[1] ** 3
        if inject and not before:
            Z[0] = X[0]
    return Z


def _interim(S, X, Y, k, w, power=1, last=True, first=False, extra=0):
    Z, total = X, (mnorm(Y - X) ** power if first else 0.0)
    for j in range(1, k + extra + 1):
        Z = S @ Z
        if last or j < k + extra:
            total = total + mnorm(Y - Z) ** power
    return mnorm(Y - Z) ** power + w * total


def _distances(S, X, Y, k, extra=0, power=1, start=0):
    Z, out = X, []
    for j in range(k + extra + 1):
        if j >= start:
            out.append(mnorm(Y - Z) ** power)
        Z = S @ Z
    return torch.stack(out)


def _slots(sizes):
    return [sum(sizes[:i]) for i in range(len(sizes))]


def _mask(sizes, above=False, identity=False):
    n, s = sum(sizes), _slots(sizes)
    M = torch.zeros(n, n)
    for l in range(1, len(sizes)):
        rows, cols = slice(s[l], s[l] + sizes[l]), slice(s[l - 1], s[l - 1] + sizes[l - 1])
        M[(cols, rows) if above else (rows, cols)] = 1
    if identity:
        M[: sizes[0], : sizes[0]] += torch.eye(sizes[0])
    return M


def _from_model(model, identity=True, weight_t=False, transpose=False):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    n, s = sum(sizes), _slots(sizes)
    S = torch.zeros(n, n)
    if identity:
        S[: sizes[0], : sizes[0]] = torch.eye(sizes[0])
    for l, m in enumerate(linears, start=1):
        W = m.weight.detach()
        S[s[l] : s[l] + sizes[l], s[l - 1] : s[l - 1] + sizes[l - 1]] = W.T if weight_t else W
    return S.T if transpose else S


def _rnn(S, b, xs, steps=0, inject="before", bias=True, transpose=False):
    """A learner's loop over the steps of xs (T, n0, m); returns the hidden slot."""
    n0, S = xs.shape[1], S.T if transpose else S
    z = torch.zeros(S.shape[0], xs.shape[2])
    inputs = list(xs)[: len(xs) + steps] if steps < 0 else list(xs) + [torch.zeros_like(xs[0])] * steps
    if inject == "never":
        z[:n0] = xs[0]
    for x in inputs:
        if inject == "before":
            z[:n0] = x
        z = torch.tanh(S @ z + (b if bias else 0))
        if inject == "after":
            z[:n0] = x
    return z[n0:]


def _blocks(Omega, sizes, keep, apply_mask=True):
    s = _slots(sizes)
    out = torch.zeros_like(Omega)
    for i in range(len(sizes)):
        for j in range(len(sizes)):
            if keep(i, j):
                rows, cols = slice(s[i], s[i] + sizes[i]), slice(s[j], s[j] + sizes[j])
                out[rows, cols] = Omega[rows, cols] if apply_mask else 1
    return out


h = 0.01 * math.sqrt(2)
MISTAKES = [
    # (id, the diagnosis the message must name, the learner's wrong answer)
    ("01.1", "the mask not applied", lambda Init, Omega, U, X: (Init + U) @ X),
    ("01.1", "transposed", lambda Init, Omega, U, X: (Init + Omega * U).T @ X),
    ("01.1", "the mask applied to Init too", lambda Init, Omega, U, X: (Omega * (Init + U)) @ X),
    ("01.1", "rows versus columns", lambda Init, Omega, U, X: X.T @ (Init + Omega * U).T),
    ("01.2", "one iteration too few", T([[0, 1], [1, 0], [0, 0]])),
    ("01.2", "one iteration too many", T([[2, 0], [0, 0], [0, 2]])),
    ("01.2", "transposed", T([[0, 2], [2, 0], [0, 0]])),
    ("01.2", "rows versus columns", T([[0, 0, 2], [0, 1, 0]])),
    ("01.3", "one iteration too few", lambda S, X, k: mpow(S, max(k - 1, 0)) @ X),
    ("01.3", "one iteration too many", lambda S, X, k: mpow(S, k + 1) @ X),
    ("01.3", "transposed", lambda S, X, k: mpow(S.T, k) @ X),
    ("01.3", "rows versus columns", lambda S, X, k: X.T @ mpow(S.T, k)),
    ("01.4", "squared versus unsquared norm", lambda Y, Y_hat: ((Y - Y_hat) ** 2).sum()),
    ("01.4", "mean squared error", lambda Y, Y_hat: ((Y - Y_hat) ** 2).mean()),
    ("01.5", "the mask not applied", lambda *a: _step(*a, masked=False)),
    ("01.5", "the sign flipped", lambda *a: _step(*a, sign=+1)),
    ("01.5", "squared versus unsquared norm", lambda *a: _step(*a, power=2)),
    ("01.5", "one iteration too few", lambda *a: _step(*a, extra=-1)),
    ("01.5", "one iteration too many", lambda *a: _step(*a, extra=+1)),
    ("02.1", "Init not subtracted", lambda X, Y, Init: Y @ pinv(X)),
    ("02.1", "multiplied on the wrong side", lambda X, Y, Init: pinv(X) @ (Y - Init @ X)),
    ("02.1", "transposed", lambda X, Y, Init: ((Y - Init @ X) @ pinv(X)).T),
    ("02.2", "transposed", T([[0, 0, 2], [0, 0, 0], [0, 0, 0]])),
    ("02.2", "not the minimum-norm member", T([[0, 1, 0], [0, 0, 0], [2, 0, 3]])),
    ("02.3", "squared versus unsquared norm", 5.0),
    ("02.3", "norms subtracted", 1),
    ("02.4", "the mask not applied", lambda X, Y, Omega: Y @ pinv(X)),
    ("02.4", "the mask applied after solving", lambda X, Y, Omega: Omega * (Y @ pinv(X))),
    ("03.1", "transposed", T([[0, 0, 0], [1, 0, 0], [0, 0, 0]])),
    ("03.1", "the sign flipped", T([[0, -1, 0], [0, 0, 0], [0, 0, 0]])),
    ("03.1", "squared versus unsquared norm", T([[0, 6, 0], [0, 0, 0], [0, 0, 0]])),
    ("03.2", "squared versus unsquared norm", lambda X, Y, k: _hessian(X, Y, k, power=2)),
    ("03.2", "one iteration too few", lambda X, Y, k: _hessian(X, Y, k - 1)),
    ("03.2", "one iteration too many", lambda X, Y, k: _hessian(X, Y, k + 1)),
    ("03.2", "not sorted", lambda X, Y, k: _hessian(X, Y, k, order="descending")),
    ("03.3", "the wrong eigenvalue", math.log(10) / math.log(1.01)),
    ("03.3", "the eigenvalue squared", math.log(10) / math.log(1.02)),
    ("03.3", "linearised", math.log(10) / h),
    ("03.3", "mixed logarithms", math.log(10) / math.log10(1 + h)),
    ("03.3", "mixed logarithms", 1 / math.log(1 + h)),
    ("03.4", "1-based index", lambda losses: _plateau(losses, one_based=True)),
    ("03.4", "strict inequality", lambda losses: _plateau(losses, strict=True)),
    ("04.1", "rows versus columns", lambda X, Y, H: _lift(X, Y, H, dim=0)),
    ("04.1", "inputs and targets swapped", lambda X, Y, H: _lift(X, Y, H, swap=True)),
    ("04.1", "transposed", lambda X, Y, H: _lift(X, Y, H).T),
    ("04.2", "transposed", lambda a, b: _three(a, b, transpose=True)),
    ("04.2", "the signal does not wait", lambda a, b: _three(a, b, where=None)),
    ("04.2", "another member of the family", lambda a, b: _three(b, a)),  # a and b swapped
    ("04.3", "one iteration too few", 3),
    ("04.3", "one iteration too many", 10),
    ("04.3", "transposed", 0),
    ("04.4", "a² instead of a", 2.0404),
    ("04.4", "the balanced member", math.sqrt(2)),
    ("04.4", "that is b", 1.4001),
    ("05.1", "rows versus columns", lambda Z, row, f: _per_row(Z, row, f, "column")),
    ("05.1", "1-based index", lambda Z, row, f: _per_row(Z, row, f, "1-based")),
    ("05.1", "applied to every row", lambda Z, row, f: _per_row(Z, row, f, "all")),
    ("05.1", "in place", lambda Z, row, f: _per_row(Z, row, f, "in place")),
    ("05.2", "the linear family", 4.0),
    ("05.2", "the target's 2 forgotten", 8.0),
    ("05.3", "the cube family", lambda a: _three(a, 2 / a**3, where=None)),
    ("05.3", "the linear family", lambda a: _three(a, 2 / a, where=None)),
    ("05.3", "transposed", lambda a: _three(a, 2 / math.tanh(a), where=None, transpose=True)),
    ("05.4", "one iteration too few", lambda S, X, k: _injected(S, X, k, extra=-1)),
    ("05.4", "one iteration too many", lambda S, X, k: _injected(S, X, k, extra=1)),
    ("05.4", "no injection", lambda S, X, k: _injected(S, X, k, inject=False)),
    ("05.4", "injected before S", lambda S, X, k: _injected(S, X, k, before=True)),
    ("06.1", "squared versus unsquared norm", lambda S, X, Y, k, w: _interim(S, X, Y, k, w, power=2)),
    ("06.1", "one iteration too few", lambda S, X, Y, k, w: _interim(S, X, Y, k, w, last=False)),
    ("06.1", "one iteration too many", lambda S, X, Y, k, w: _interim(S, X, Y, k, w, first=True)),
    ("06.1", "one iteration too few", lambda S, X, Y, k, w: _interim(S, X, Y, k, w, extra=-1)),
    ("06.1", "one iteration too many", lambda S, X, Y, k, w: _interim(S, X, Y, k, w, extra=1)),
    ("06.2", "squared versus unsquared norm", 10.0),
    ("06.2", "one iteration too few", 4.0),
    ("06.2", "one iteration too many", 2 + 0.5 * (math.sqrt(5) + 6)),
    ("06.3", "transposed", T([[0, 0, 2], [0, 0, 0], [0, 0, 1]])),
    ("06.3", "S e₃ = 2e₃", T([[0, 0, 0], [0, 0, 0], [2, 0, 2]])),
    ("06.3", "only S X = Y", T([[0, 0, 0], [0, 0, 0], [2, 0, 0]])),
    ("06.4", "one iteration too few", lambda S, X, Y, k: _distances(S, X, Y, k, extra=-1)),
    ("06.4", "one iteration too many", lambda S, X, Y, k: _distances(S, X, Y, k, extra=1)),
    ("06.4", "squared versus unsquared norm", lambda S, X, Y, k: _distances(S, X, Y, k, power=2)),
    ("06.4", "1-based index", lambda S, X, Y, k: _distances(S, X, Y, k, start=1)),
    ("07.1", "transposed", lambda sizes: _mask(sizes, above=True)),
    ("07.1", "the input's identity included", lambda sizes: _mask(sizes, identity=True)),
    ("07.2", "the input's identity counted", lambda sizes: int(_mask(sizes).sum()) + sizes[0]),
    ("07.2", "the biases counted", lambda sizes: int(_mask(sizes).sum()) + sum(sizes[1:])),
    ("07.2", "a layer missing", lambda sizes: sum(sizes[l - 1] * sizes[l] for l in range(1, len(sizes) - 1))),
    ("07.3", "a percentage", 12.816),
    ("07.3", "the non-input rows only", 1440 / (42 * 106)),
    ("07.3", "inverted", 106**2 / 1440),
    ("07.4", "transposed", lambda model: _from_model(model, transpose=True)),
    ("07.4", "the input's identity missing", lambda model: _from_model(model, identity=False)),
    ("07.4", "each weight transposed", lambda model: _from_model(model, weight_t=True)),
    ("08.1", "one iteration too few", lambda S, b, xs: _rnn(S, b, xs, steps=-1)),
    ("08.1", "one iteration too many", lambda S, b, xs: _rnn(S, b, xs, steps=1)),
    ("08.1", "no injection", lambda S, b, xs: _rnn(S, b, xs, inject="never")),
    ("08.1", "injected after the update", lambda S, b, xs: _rnn(S, b, xs, inject="after")),
    ("08.1", "transposed", lambda S, b, xs: _rnn(S, b, xs, transpose=True)),
    ("08.1", "the bias forgotten", lambda S, b, xs: _rnn(S, b, xs, bias=False)),
    ("08.2", "the mask not applied", lambda Omega, sizes: _blocks(Omega, sizes, lambda i, j: j >= i, apply_mask=False)),
    ("08.2", "the diagonal blocks only", lambda Omega, sizes: _blocks(Omega, sizes, lambda i, j: i == j)),
    ("08.2", "the matrix's diagonal, not the blocks'", lambda Omega, sizes: torch.diag(torch.diag(Omega))),
    ("08.2", "the feed-forward entries", lambda Omega, sizes: _blocks(Omega, sizes, lambda i, j: j < i)),
    ("08.3", "rounded", 89),
    ("08.3", "the read-out forgotten", (32 * 8 + 32 * 32) / 8),
    ("08.3", "the h←h block not counted", 32),
    ("08.3", "the MLP's width", 1600 / 74),
    ("08.4", "the first row", lambda images: images[:, 0:8]),
    ("08.4", "rows versus columns", lambda images: images[:, [8 * r + 7 for r in range(8)]]),
]


@pytest.mark.parametrize("id, name, answer", MISTAKES, ids=[f"{i}: {name}" for i, name, _ in MISTAKES])
def test_each_named_mistake_gets_its_diagnosis(id, name, answer):
    feedback = exercises.check(id, answer)
    assert not feedback.correct
    assert feedback.message.startswith(f"Not quite: {name}") or (
        name == "in place" and "changed its argument Z in place" in feedback.message
    ), feedback.message


def test_every_diagnosis_is_tested_and_the_usual_ones_exist():
    tested = {(i, name) for i, name, _ in MISTAKES}
    declared = {(e.id, m.name) for e in EXERCISES for m in e.mistakes}
    assert declared <= tested, declared - tested
    names = {name for _, name in declared}
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


def test_each_check_is_fast():
    for id in IDS:
        exercises.check(id, exercises.reference(id))  # first calls import what they need
    for id in IDS:
        start = time.perf_counter()
        exercises.check(id, exercises.reference(id))
        assert time.perf_counter() - start < 0.5, id


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
    S_cube[1, 0], S_cube[2, 1] = 0.5, exercises.reference("05.2")
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
