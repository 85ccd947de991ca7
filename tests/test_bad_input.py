"""Bad input meets a clear ``ValueError``/``TypeError``, never an internal error.

Every row of ``BAD`` is one wrong call of the public API. Each must raise
``ValueError`` or ``TypeError`` whose message names the argument at fault; no
torch ``RuntimeError`` or ``IndexError`` may be behind it (as the exception's
cause or unsuppressed context), and the error must be raised by
``course_utils`` itself: the traceback's last frame lies in the package, not
in torch, NumPy or matplotlib.

``test_generic_probe`` adds rows without edits: every public callable of
``course_utils.__all__`` is called with nonsense (``object()``, a string) in
each required argument and must answer the same way.

Learners pass nested lists and NumPy arrays where tensors are expected:
``test_accepts_*`` check that those are accepted, converted, and give the
same result as tensors.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils import activations
from course_utils.lessons import depth_and_the_saddle as saddle
from course_utils.lessons import iterated_exact as iterated
from course_utils.lessons import nonlinear_activations as nonlinear
from course_utils.lessons import LESSONS
from course_utils.lessons.explorer import Explorer

PACKAGE = Path(cu.__file__).resolve().parent


# ---------------------------------------------------------------- the data
def data(m: int = 2, n: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand((n, m), generator=g), torch.rand((n, m), generator=g)


def operator(n: int = 3) -> cu.SparseMatrix:
    return cu.SparseMatrix(n, generator=torch.Generator().manual_seed(1))


X, Y = data()
NAN = X.clone()
NAN[1, 0] = math.nan
INF = Y.clone()
INF[2, 1] = math.inf
ONES = torch.ones(3, 3)
HALF_MASK = torch.tensor([[1.0, 0.5, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])


def history() -> cu.History:
    return cu.train(operator(), X, Y, epochs=3)


@dataclass
class Case:
    """One bad call: ``call()`` must raise naming ``argument``."""

    id: str
    argument: str
    call: Callable[[], Any]


def train(**changes: Any) -> Callable[[], Any]:
    """A call of ``train`` with good arguments except ``changes``."""
    arguments = {"S": operator(), "X": X, "Y": Y, "epochs": 3}
    arguments.update(changes)
    return lambda: cu.train(**arguments)


def exact(**changes: Any) -> Callable[[], Any]:
    arguments = {"X": X, "Y": Y}
    arguments.update(changes)
    return lambda: cu.exact_solution(**arguments)


def residual(**changes: Any) -> Callable[[], Any]:
    arguments = {"X": X, "Y": Y, "U": torch.zeros(3, 3)}
    arguments.update(changes)
    return lambda: cu.residual(**arguments)


def iterate(**changes: Any) -> Callable[[], Any]:
    arguments = {"S": operator(), "X": X, "iterations": 2}
    arguments.update(changes)
    return lambda: cu.iterate(**arguments)


def one_argument(Z):  # an activation without the iteration index
    return Z


def three_arguments(Z, j, c):  # an activation wanting more than (Z, j)
    return Z


BAD: list[Case] = [
    # SparseMatrix: sizes, shapes, dtypes, masks, noise, generator
    Case("SparseMatrix n=0", "n", lambda: cu.SparseMatrix(0)),
    Case("SparseMatrix n<0", "n", lambda: cu.SparseMatrix(-3)),
    Case("SparseMatrix n float", "n", lambda: cu.SparseMatrix(2.5)),
    Case("SparseMatrix n string", "n", lambda: cu.SparseMatrix("3")),
    Case("SparseMatrix Init wrong shape", "Init", lambda: cu.SparseMatrix(3, Init=torch.zeros(2, 2))),
    Case("SparseMatrix Init 1-D", "Init", lambda: cu.SparseMatrix(3, Init=torch.zeros(3))),
    Case("SparseMatrix Init complex", "Init", lambda: cu.SparseMatrix(3, Init=torch.zeros(3, 3, dtype=torch.complex64))),
    Case("SparseMatrix Init strings", "Init", lambda: cu.SparseMatrix(2, Init=[["a", "b"], ["c", "d"]])),
    Case("SparseMatrix Init NaN", "Init", lambda: cu.SparseMatrix(3, Init=torch.full((3, 3), math.nan))),
    Case("SparseMatrix Init inf (NumPy)", "Init", lambda: cu.SparseMatrix(2, Init=np.array([[np.inf, 0], [0, 0]]))),
    Case("SparseMatrix Init empty", "Init", lambda: cu.SparseMatrix(1, Init=torch.zeros(0, 0))),
    Case("SparseMatrix Omega 0.5", "Omega", lambda: cu.SparseMatrix(3, Omega=HALF_MASK)),
    Case("SparseMatrix Omega 2", "Omega", lambda: cu.SparseMatrix(2, Omega=[[1, 2], [0, 1]])),
    Case("SparseMatrix Omega -1 (NumPy)", "Omega", lambda: cu.SparseMatrix(2, Omega=np.array([[1, -1], [0, 1]]))),
    Case("SparseMatrix Omega wrong shape", "Omega", lambda: cu.SparseMatrix(3, Omega=torch.ones(3, 2))),
    Case("SparseMatrix Omega ragged list", "Omega", lambda: cu.SparseMatrix(2, Omega=[[1, 0], [1]])),
    Case("SparseMatrix U wrong shape", "U", lambda: cu.SparseMatrix(3, U=torch.zeros(4, 4))),
    Case("SparseMatrix U bool-free object", "U", lambda: cu.SparseMatrix(3, U={"a": 1})),
    Case("SparseMatrix init_noise<0", "init_noise", lambda: cu.SparseMatrix(3, init_noise=-0.1)),
    Case("SparseMatrix init_noise NaN", "init_noise", lambda: cu.SparseMatrix(3, init_noise=math.nan)),
    Case("SparseMatrix init_noise string", "init_noise", lambda: cu.SparseMatrix(3, init_noise="0.1")),
    Case("SparseMatrix generator int", "generator", lambda: cu.SparseMatrix(3, generator=123)),
    # S(X): applying the operator
    Case("S(X) wrong rows", "X", lambda: operator()(torch.ones(2, 1))),
    Case("S(X) 1-D", "X", lambda: operator()(torch.ones(3))),
    Case("S(X) string", "X", lambda: operator()("abc")),
    Case("S(X) complex", "X", lambda: operator()(torch.ones(3, 1, dtype=torch.complex64))),
    # train: the operator, data, sizes and rates, activations
    Case("train S not a SparseMatrix", "S", train(S=torch.nn.Linear(3, 3))),
    Case("train S a tensor", "S", train(S=torch.eye(3))),
    Case("train X wrong rows", "X", train(X=torch.ones(4, 2), Y=torch.ones(4, 2))),
    Case("train X 3-D", "X", train(X=torch.ones(3, 2, 1))),
    Case("train X empty", "X", train(X=torch.ones(3, 0), Y=torch.ones(3, 0))),
    Case("train X NaN", "X", train(X=NAN)),
    Case("train Y inf", "Y", train(Y=INF)),
    Case("train X complex", "X", train(X=torch.ones(3, 2, dtype=torch.complex128))),
    Case("train X string", "X", train(X="e1")),
    Case("train X ragged list", "X", train(X=[[1.0, 0.0], [0.0], [0.0, 1.0]])),
    Case("train Y list of strings", "Y", train(Y=[["0", "0"], ["0", "0"], ["2", "2"]])),
    Case("train Y wrong shape", "Y", train(Y=torch.ones(3, 3))),
    Case("train Y None", "Y", train(Y=None)),
    Case("train iterations=0", "iterations", train(iterations=0)),
    Case("train iterations float", "iterations", train(iterations=2.0)),
    Case("train epochs=0", "epochs", train(epochs=0)),
    Case("train epochs<0", "epochs", train(epochs=-5)),
    Case("train epochs bool", "epochs", train(epochs=True)),
    Case("train lr=0", "lr", train(lr=0.0)),
    Case("train lr<0", "lr", train(lr=-0.01)),
    Case("train lr NaN", "lr", train(lr=math.nan)),
    Case("train lr inf", "lr", train(lr=math.inf)),
    Case("train lr string", "lr", train(lr="0.01")),
    Case("train lr tensor of 2", "lr", train(lr=torch.tensor([0.1, 0.2]))),
    Case("train tol<0", "tol", train(tol=-0.01)),
    Case("train interim_weight<0", "interim_weight", train(interim_weight=-1.0)),
    Case("train activation not callable", "activation", train(activation=42)),
    Case("train activation one argument", "activation", train(activation=one_argument)),
    Case("train activation three arguments", "activation", train(activation=three_arguments)),
    Case("train activation wrong shape out", "activation", train(activation=lambda Z, j: Z[:1])),
    Case("train activation returns a float", "activation", train(activation=lambda Z, j: 1.0)),
    # exact_solution and residual
    Case("exact_solution X 1-D", "X", exact(X=torch.ones(3))),
    Case("exact_solution X dict", "X", exact(X={"x": 1})),
    Case("exact_solution X NaN", "X", exact(X=NAN)),
    Case("exact_solution X complex", "X", exact(X=X.to(torch.complex64))),
    Case("exact_solution Y wrong shape", "Y", exact(Y=torch.ones(3, 5))),
    Case("exact_solution Y inf", "Y", exact(Y=INF)),
    Case("exact_solution Init wrong shape", "Init", exact(Init=torch.zeros(2, 3))),
    Case("exact_solution Omega 0.5", "Omega", exact(Omega=HALF_MASK)),
    Case("exact_solution Omega strings", "Omega", exact(Omega=[["1", "0", "0"]] * 3)),
    Case("residual U wrong shape", "U", residual(U=torch.zeros(3, 2))),
    Case("residual U string", "U", residual(U="zeros")),
    Case("residual Omega -1", "Omega", residual(Omega=-ONES)),
    Case("residual Y empty", "Y", residual(Y=torch.ones(0, 2))),
    # iterate
    Case("iterate S None", "S", iterate(S=None)),
    Case("iterate iterations<0", "iterations", iterate(iterations=-1)),
    Case("iterate X wrong rows", "X", iterate(X=torch.ones(2, 2))),
    Case("iterate activation one argument", "activation", iterate(activation=one_argument)),
    # plotting, printing, set-up
    Case("plot_loss list of losses", "history", lambda: cu.plot_loss([1.0, 0.5, 0.1])),
    Case("plot_loss ax string", "ax", lambda: cu.plot_loss(history(), ax="left")),
    Case("plot_matrices empty dict", "matrices", lambda: cu.plot_matrices({})),
    Case("plot_matrices int", "matrices", lambda: cu.plot_matrices(42)),
    Case("plot_matrices 1-D entry", "matrices", lambda: cu.plot_matrices({"A": torch.zeros(3)})),
    Case("plot_matrices strings", "matrices", lambda: cu.plot_matrices({"A": [["a", "b"]]})),
    Case("plot_matrices complex", "matrices", lambda: cu.plot_matrices({"A": torch.ones(2, 2, dtype=torch.complex64)})),
    Case("plot_matrices digits<0", "digits", lambda: cu.plot_matrices(operator(), digits=-1)),
    Case("History.report every=0", "every", lambda: history().report(every=0)),
    Case("seed_data dtype string", "dtype", lambda: cu.seed_data(dtype="float64")),
    Case("setup precision<0", "precision", lambda: cu.setup(precision=-1)),
    Case("setup precision string", "precision", lambda: cu.setup(precision="4")),
]

# The modules of the later notebooks: activations (05), analysis (03),
# lifting (04), exact_family (02), trajectory (04), fixed_points (06), mlp (07).
# Looked up when called, so that a renamed function fails its row.
Z = torch.ones(3, 2)
BAD += [
    # activations
    Case("per_row negative row", "rows", lambda: cu.per_row(-1, "cube")),
    Case("per_row row twice", "rows", lambda: cu.per_row([1, 1], "cube")),
    Case("per_row row string", "rows", lambda: cu.per_row("1", "cube")),
    Case("per_row unknown function name", "fn", lambda: cu.per_row(1, "sigmoidal")),
    Case("per_row function not callable", "fn", lambda: cu.per_row(1, 42)),
    Case("per_row row beyond the state", "rows", lambda: cu.per_row(5, "cube")(Z, 0)),
    Case("RowActivation empty", "functions", lambda: cu.RowActivation({})),
    Case("Elementwise not callable", "fn", lambda: activations.Elementwise(3)),
    Case("Elementwise wrong shape out", "fn", lambda: activations.Elementwise(lambda z: z[:1])(Z, 0)),
    Case("cube of a string", "Z", lambda: cu.cube("abc", 0)),
    Case("tanh of a 1-D tensor", "Z", lambda: activations.tanh(torch.ones(3), 0)),
    Case("Injection X NaN", "X", lambda: cu.Injection(NAN)),
    Case("Injection rows negative", "rows", lambda: cu.Injection(X, rows=[-1])),
    Case("compose nothing", "parts", lambda: activations.compose()),
    Case("compose one-argument part", "parts", lambda: activations.compose(cu.cube, one_argument)),
    Case("train activation rows beyond the state", "rows", train(activation=cu.per_row(7, "tanh"))),
    # analysis
    Case("loss_at U wrong shape", "U", lambda: saddle.loss_at(operator(), torch.zeros(2, 2), X, Y)),
    Case("gradient_at iterations=0", "iterations", lambda: saddle.gradient_at(operator(), torch.zeros(3, 3), X, Y, iterations=0)),
    Case("hessian_at activation one argument", "activation",
         lambda: saddle.hessian_at(operator(), torch.zeros(3, 3), X, Y, activation=one_argument)),
    Case("hessian_at X NaN", "X", lambda: saddle.hessian_at(operator(), torch.zeros(3, 3), NAN, Y)),
    Case("plateau_sweep empty", "noise_levels", lambda: saddle.plateau_sweep([])),
    Case("plateau_sweep negative noise", "noise_levels", lambda: saddle.plateau_sweep([0.1, -1.0])),
    Case("plateau_sweep string", "noise_levels", lambda: saddle.plateau_sweep("0.1")),
    Case("plateau_run init_noise<0", "init_noise", lambda: saddle.plateau_run(init_noise=-0.1)),
    Case("plateau_length fraction 2", "fraction", lambda: saddle.plateau_length([2.0, 1.0, 0.5], fraction=2.0)),
    # lifting
    Case("lift_solve hidden wrong shape", "hidden", lambda: cu.lift_solve(X, Y, torch.ones(5, 5))),
    Case("lift_solve Omega 0.5", "Omega", lambda: cu.lift_solve(X, Y, torch.ones(3, 2), Omega=HALF_MASK)),
    Case("mask_without entry outside", "entries", lambda: iterated.mask_without((5, 5), n=3)),
    Case("mask_without entry not a pair", "entries", lambda: iterated.mask_without("ab", n=3)),
    Case("routes Omega 0.5", "Omega", lambda: iterated.routes(HALF_MASK)),
    Case("support of a string", "U", lambda: iterated.support("abc")),
    Case("subdiagonal_mask n=0", "n", lambda: iterated.subdiagonal_mask(0)),
    # exact_family and trajectory
    Case("example_data m=0", "m", lambda: cu.example_data(0)),
    Case("example_data noise<0", "noise", lambda: cu.example_data(2, noise=-1.0)),
    Case("plot_trajectory shapes differ", "states", lambda: cu.plot_trajectory([X, torch.ones(2, 2)])),
    Case("plot_trajectory labels count", "labels", lambda: cu.plot_trajectory([X, X], labels=["only one"])),
    Case("plot_trajectory empty", "states", lambda: cu.plot_trajectory([])),
    # fixed_points
    Case("lower_mask n=0", "n", lambda: nonlinear.lower_mask(0)),
    Case("random_chain layers=0", "layers", lambda: nonlinear.random_chain(0)),
    Case("iterate of a matrix iterations<0", "iterations", lambda: cu.iterate(torch.eye(3), X, -1)),
    Case("distances Y wrong shape", "Y", lambda: nonlinear.distances([X, X], torch.ones(2, 2))),
    Case("plot_losses empty", "histories", lambda: cu.plot_losses({})),
    # mlp
    Case("mlp_mask one layer", "sizes", lambda: cu.mlp_mask([3])),
    Case("mlp_mask zero width", "sizes", lambda: cu.mlp_mask([3, 0, 2])),
    Case("mlp_mask negative width", "sizes", lambda: cu.mlp_mask([3, -1])),
    Case("mlp_mask float width", "sizes", lambda: cu.mlp_mask([3, 2.5])),
    Case("mlp_mask string", "sizes", lambda: cu.mlp_mask("32")),
    Case("from_sequential not a model", "model", lambda: cu.from_sequential("net")),
    Case("from_sequential convolution", "model", lambda: cu.from_sequential(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)))),
    Case("from_sequential widths do not chain", "model",
         lambda: cu.from_sequential(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(5, 2)))),
    Case("random_mask entries<0", "entries", lambda: cu.random_mask([3, 4, 2], -1)),
    Case("random_mask too many entries", "entries", lambda: cu.random_mask([3, 4, 2], 10**6)),
    Case("IteratedMap mask 0.5", "mask", lambda: cu.IteratedMap([2, 1], mask=torch.full((3, 3), 0.5))),
    # issue 17: the optional arguments of the maps, an activation of one argument, a wrong shape
    Case("IteratedMap bias string", "bias", lambda: cu.IteratedMap([2, 3, 1], bias="abc")),
    Case("IteratedMap bias of strings", "bias", lambda: cu.IteratedMap([2, 3, 1], bias=["a", "b", "c", "d"])),
    Case("IteratedMap bias NaN", "bias", lambda: cu.IteratedMap([2, 3, 1], bias=[math.nan] * 4)),
    Case("IteratedMap dtype int64", "dtype", lambda: cu.IteratedMap([2, 3, 1], dtype=torch.int64)),
    Case("IteratedMap dtype string", "dtype", lambda: cu.IteratedMap([2, 3, 1], dtype="float64")),
    Case("IteratedMap generator 0", "generator", lambda: cu.IteratedMap([2, 3, 1], generator=0)),
    Case("IteratedMap kind", "kind", lambda: cu.IteratedMap([2, 3, 1], kind="sparse")),
    Case("RecurrentMap dtype complex", "dtype", lambda: cu.RecurrentMap([2, 3], dtype=torch.complex64)),
    Case("RecurrentMap generator seed", "generator", lambda: cu.RecurrentMap([2, 3], generator=7)),
    Case("train activation torch.tanh", "activation", lambda: cu.train(operator(), X, Y, activation=torch.tanh)),
    Case("iterate activation torch.relu", "activation", lambda: cu.iterate(operator(), X, activation=torch.relu)),
    Case("iterate activation wrong shape", "activation",
         lambda: cu.iterate(operator(), X, activation=lambda Z, j: Z[:1])),
]


# ---------------------------------------------------------------- the checks
def _named(argument: str, message: str) -> bool:
    """``argument`` appears in ``message`` as a word (``X`` not inside ``Xavier``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", message) is not None


def _chain(error: BaseException):
    """``error`` and the exceptions it was raised from (cause, unsuppressed context)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def check_bad_call(call: Callable[[], Any], arguments: tuple[str, ...]) -> BaseException:
    """Run ``call``; it must fail cleanly, naming one of ``arguments``."""
    try:
        call()
    except (ValueError, TypeError) as error:
        caught = error
    except BaseException as error:  # noqa: BLE001 - anything else is a failure
        pytest.fail(f"raised {type(error).__name__} instead of ValueError/TypeError: {error}")
    else:
        pytest.fail(f"accepted the bad input (no error); expected one naming {' or '.join(arguments)}")
    finally:
        plt.close("all")
    message = str(caught)
    assert any(_named(a, message) for a in arguments), (
        f"{type(caught).__name__} does not name the argument {' or '.join(arguments)}: {message!r}"
    )
    for link in _chain(caught):
        assert not isinstance(link, (RuntimeError, IndexError)), (
            f"the error comes from an internal {type(link).__name__}: {link}"
        )
    frames = traceback.extract_tb(caught.__traceback__)
    last = Path(frames[-1].filename).resolve()
    assert PACKAGE in last.parents, (
        f"raised in {last} (line {frames[-1].lineno}), not by course_utils itself: {message!r}"
    )
    return caught


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_call(case: Case) -> None:
    check_bad_call(case.call, (case.argument,))


def test_table_is_large_and_distinct() -> None:
    assert len(BAD) >= 30
    assert len({c.id for c in BAD}) == len(BAD), "two rows share an id"


# ------------------------------------------------ generic probe of __all__
#: public names with nothing to validate (dataclasses, the records that
#: functions return, such as History and Explorer, are left out too)
NOT_PROBED: dict[str, str] = {}

NONSENSE = {"object": object(), "string": "nonsense"}


def _public_callables() -> list[tuple[str, Callable, list[str]]]:
    found = []
    modules = [cu] + [importlib.import_module(f"course_utils.lessons.{lesson}") for lesson in LESSONS]
    public = [(name if m is cu else f"{m.__name__.removeprefix('course_utils.')}.{name}", getattr(m, name))
              for m in modules for name in m.__all__]
    seen: set[int] = set()
    for name, value in public:
        if not callable(value) or name in NOT_PROBED or isinstance(value, Explorer) or id(value) in seen:
            continue  # (a lesson may import another lesson's function: probed once)
        seen.add(id(value))
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            continue  # a record that functions return (History, Explorer, ...), not validated input
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):
            continue
        named = [
            p for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        # the required arguments, or else the first one (``SparseMatrix(n=...)``)
        required = [p.name for p in named if p.default is inspect.Parameter.empty] or [p.name for p in named[:1]]
        if required:
            found.append((name, value, required))
    return found


PROBES = [
    pytest.param(function, required, nonsense, id=f"{name}({', '.join(required)} = {label})")
    for name, function, required in _public_callables()
    for label, nonsense in NONSENSE.items()
]


@pytest.mark.parametrize("function, required, nonsense", PROBES)
def test_generic_probe(function: Callable, required: list[str], nonsense: Any) -> None:
    """Every public callable answers nonsense in its required arguments (or,
    when it has none, in its first argument) cleanly."""
    signature = inspect.signature(function)
    args, kwargs = [], {}
    for name in required:
        if signature.parameters[name].kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(nonsense)
        else:
            kwargs[name] = nonsense
    check_bad_call(lambda: function(*args, **kwargs), tuple(required))


def test_generic_probe_finds_the_core() -> None:
    names = {p.id.split("(")[0] for p in PROBES}
    assert {"SparseMatrix", "train", "exact_solution", "residual", "iterate", "plot_loss", "plot_matrices"} <= names


def test_bad_input_count(capsys) -> None:
    """Prints how many bad calls this file tries (table + generic probes)."""
    with capsys.disabled():
        print(f"\nbad inputs tried: {len(BAD)} table rows + {len(PROBES)} generic probes = {len(BAD) + len(PROBES)}")
    assert len(BAD) + len(PROBES) >= 30


# ---------------------------------------------------------------- accepted input
def test_accepts_lists_and_numpy_in_train() -> None:
    Xt, Yt = data(m=2)
    reference = cu.train(operator(), Xt, Yt, epochs=20, lr=0.05)
    X_list, Y_numpy = Xt.tolist(), Yt.numpy().copy()
    kept = Y_numpy.copy()
    history = cu.train(operator(), X_list, Y_numpy, epochs=np.int64(20), lr=np.float64(0.05), iterations=np.int32(2))
    assert history.losses == pytest.approx(reference.losses, rel=1e-6, abs=1e-7)
    assert np.array_equal(Y_numpy, kept), "train changed the caller's array"
    # float32 NumPy arrays and integer lists too
    history = cu.train(operator(), Xt.numpy(), [[int(v > 0.5) for v in row] for row in Yt.tolist()], epochs=5)
    assert len(history.losses) >= 1 and all(math.isfinite(v) for v in history.losses)


def test_accepts_lists_and_numpy_in_sparse_matrix() -> None:
    Init = np.arange(9.0).reshape(3, 3) / 10
    Omega = [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    U = np.ones((3, 3), dtype=np.float32)
    S = cu.SparseMatrix(3, Init=Init, Omega=Omega, U=U)
    expected = torch.as_tensor(Init) + torch.tensor(Omega, dtype=torch.float64) * torch.ones(3, 3, dtype=torch.float64)
    assert isinstance(S.matrix, torch.Tensor)
    assert torch.allclose(S.matrix.double(), expected)
    # a boolean mask is a 0/1 mask
    S_bool = cu.SparseMatrix(3, Init=Init, Omega=np.array(Omega, dtype=bool), U=U)
    assert torch.equal(S_bool.matrix, S.matrix)
    # S applies to lists and arrays as to tensors
    columns = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    with torch.no_grad():
        assert torch.allclose(S(columns), S(torch.tensor(columns, dtype=S.U.dtype)))
        assert torch.allclose(S(np.array(columns)), S(torch.tensor(columns, dtype=S.U.dtype)))
    # and a SparseMatrix from an integer tensor
    assert cu.SparseMatrix(2, Init=torch.eye(2, dtype=torch.int64)).Init.is_floating_point()


def test_accepts_lists_and_numpy_in_exact_solution_and_residual() -> None:
    Xt, Yt = data(m=3)
    mask = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    reference = cu.exact_solution(Xt, Yt, Omega=mask)
    from_lists = cu.exact_solution(Xt.tolist(), Yt.numpy(), Init=np.zeros((3, 3)), Omega=mask.int().tolist())
    assert isinstance(from_lists, torch.Tensor)
    assert torch.allclose(from_lists.double(), reference.double(), atol=1e-5)
    r_tensor = cu.residual(Xt, Yt, reference, Omega=mask)
    r_lists = cu.residual(Xt.tolist(), Yt.tolist(), reference.numpy(), Omega=mask.numpy())
    assert isinstance(r_lists, float)
    assert r_lists == pytest.approx(r_tensor, abs=1e-5)


def test_accepts_lists_in_iterate_and_plotting() -> None:
    S = operator()
    states = cu.iterate(S, [[1.0], [0.0], [0.0]], iterations=np.int64(3))
    assert len(states) == 4 and all(isinstance(Z, torch.Tensor) for Z in states)
    with torch.no_grad():
        assert torch.allclose(states[2], S.matrix @ S.matrix @ torch.tensor([[1.0], [0.0], [0.0]]))
    fig = cu.plot_matrices({"list": [[1, 2], [3, 4]], "numpy": np.eye(2), "tensor": torch.ones(2, 2)})
    assert len(fig.axes) >= 3
    plt.close("all")


def test_accepts_lists_and_numpy_in_later_modules() -> None:
    """The later notebooks' functions convert lists and arrays as the core does."""
    Xt, Yt = data(m=2)
    H = torch.rand((3, 2), generator=torch.Generator().manual_seed(5))
    lifted = cu.lift_solve(Xt, Yt, H)
    from_lists = cu.lift_solve(Xt.tolist(), Yt.numpy(), H.tolist())
    assert torch.allclose(torch.as_tensor(from_lists.U).double(), torch.as_tensor(lifted.U).double(), atol=1e-5)
    U = torch.zeros(3, 3)
    assert saddle.loss_at(operator(), U.tolist(), Xt.numpy(), Yt.tolist()) == pytest.approx(
        float(saddle.loss_at(operator(), U, Xt, Yt)), rel=1e-6
    )
    sizes = [3, 4, 2]
    assert torch.equal(cu.mlp_mask(tuple(np.int64(s) for s in sizes)), cu.mlp_mask(sizes))
    injected = cu.Injection([[1.0, -1.0]], rows=[0])(torch.zeros(3, 2), 0)
    assert injected[0].tolist() == [1.0, -1.0] and injected[1:].abs().sum() == 0
    fig = cu.plot_trajectory([Xt.tolist(), Xt.numpy(), Xt])
    assert fig.axes
    plt.close("all")


def _chained_from_torch():
    try:
        torch.ones(2) @ torch.ones(3)
    except RuntimeError as error:
        raise ValueError("X does not fit") from error


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: torch.ones(2) @ torch.ones(3), "X"),  # torch's own RuntimeError
        (lambda: None, "X"),  # accepted
        (lambda: cu.train(operator(), X, Y, lr=-1.0), "epochs"),  # names another argument
        (_chained_from_torch, "X"),  # a clean message on top of an internal error
        (lambda: np.asarray([["a"]], dtype=float), "a"),  # raised by NumPy, not course_utils
    ],
    ids=["internal error", "accepted", "other argument", "chained", "raised outside"],
)
def test_checker_catches_what_it_should(call: Callable[[], Any], argument: str) -> None:
    """``check_bad_call`` itself fails on each way a bad call can go wrong."""
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_bad_call(call, (argument,))
