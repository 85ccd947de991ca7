"""Notebook 05: nonlinear activations, and iterating past the trained depth.

The activations themselves (``Elementwise``, ``per_row``, ``Injection``,
``compose``) are core (``course_utils.activations``); this lesson holds what
the notebook sets beside them:

- ``seed_inplace_cube``: the seed's in-place cube, kept to show why autograd
  rejects it; ``cube_solution``: the exact S for a cube on the e₂ coordinate;
  ``plot_elementwise``: the activations drawn;
- masks of the notebook (``chain_mask``, ``lower_mask``, ``random_chain``);
- iterating a trained map further: ``state_changes``, ``distances``,
  ``settling_iteration``, ``settling_table``, ``plot_drift``: a map trained for
  k iterations is only asked about Z_k; iterated further it may settle on a
  fixed point ``σ(S Z) = Z`` (an MLP's layout with the data injected) or drift;
- ``train_on_seed``: the seed's problem trained with a given activation and
  mask (cached), and ``explore_activation``, the notebook's slider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .._checks import as_matrix, check_activation, check_int, check_real, describe
from ..activations import ELEMENTWISE, Injection, _check_state, per_row
from ..data import seed_data, seed_generator
from ..operator import SparseMatrix
from ..plotting import FLOOR, describe_figure, light_log_axis, plot_losses, plot_trajectory, state_labels
from ..training import History, iterate, train
from .cache import copied
from .explorer import explorer

__all__ = [
    "CHAIN",
    "chain_mask",
    "cube_solution",
    "distances",
    "explore_activation",
    "EXTRA_MAX",
    "format_vector",
    "lower_mask",
    "plot_drift",
    "plot_elementwise",
    "plot_runs",
    "random_chain",
    "seed_inplace_cube",
    "SeedRun",
    "settling_iteration",
    "settling_table",
    "state_changes",
    "train_on_seed",
]


#: markers that tell the lines of one axes apart without their colour (WCAG 1.4.1)
LINE_MARKERS = ("o", "s", "^", "D", "v", "P", "<", ">", "h", "*")
#: the same for loss curves, whose ends already carry a dot, a square or a cross
CURVE_MARKERS = ("^", "D", "v", "P", "<", ">", "h", "*")
#: the markers' names, for the descriptions
MARKER_NAMES = {"o": "circles", "s": "squares", "^": "triangles", "D": "diamonds", "v": "down triangles",
                "P": "pluses", "<": "left triangles", ">": "right triangles", "h": "hexagons", "*": "stars"}


def _mark_lines(lines: Sequence[Any], markers: Sequence[str] = LINE_MARKERS, count: int | None = None,
                size: float = 5.0) -> None:
    """Give each line its own marker (the second cue beside its colour).

    With ``count``, about ``count`` markers per line, each line's starting at
    another offset so that the markers of lines on top of each other do not hide
    each other; otherwise a marker on every point.
    """
    for k, line in enumerate(lines):
        line.set_marker(markers[k % len(markers)])
        line.set_markersize(size)
        points = len(line.get_xdata())
        if count is not None and points > count:
            step = max(1, points // count)
            line.set_markevery((k * step // max(len(lines), 1), step))


def _number(value: float, digits: int = 3) -> str:
    """One number for a figure's description: rounded to ``digits`` decimals
    (never -0.000), three significant digits when large, "nan"/"inf" as such."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:.3g}"
    return f"{round(value, digits) + 0.0:.{digits}f}"


def _vector(values: Any, digits: int = 3) -> str:
    """A state's entries as "[a, b, c]" for a description (``_number`` each)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    return "[" + ", ".join(_number(v, digits) for v in np.asarray(values, dtype=float).ravel()) + "]"


def _run_words(label: str, history: History) -> str:
    """"label converged at epoch 206 (loss 0.0099)": how a run ended, for a description."""
    if history.diverged:
        return f"{label} diverged at epoch {history.stop_epoch}"
    word = "converged" if history.converged else "stopped (epochs used up)"
    return f"{label} {word} at epoch {history.stop_epoch} (loss {_number(history.final_loss, 4)})"


def seed_inplace_cube(Z: torch.Tensor, j: int = 0) -> torch.Tensor:
    """The seed's commented-out activation, kept to show why the course avoids it (notebook 05).

    ``Z[1, :] = Z[1, :]**3`` edits Z in place. The cube's backward pass needs
    the row it was given; the assignment overwrites it, so ``backward`` (and
    ``train``) fail with "modified by an inplace operation". Use
    ``per_row(1, "cube")`` instead.
    """
    Z = _check_state(Z)
    if Z.shape[0] < 2:
        raise ValueError(f"Z must have at least 2 rows (the seed cubes row 1), got shape {tuple(Z.shape)}")
    Z[1, :] = Z[1, :] ** 3
    return Z


def cube_solution(a: float = 1.0, target: float = 2.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """An exact S for the seed's data with the cube on the hidden row (notebook 05).

    For X = e1, Y = target·e3 and σ = cube on row 1 (0-based), two iterations:

        S e1 = a·e2,   S e2 = (target / a³)·e3,   S e3 = 0

    gives σ(S X) = a³·e2 and σ(S σ(S X)) = (target / a³)·a³·e3 = Y, for every
    a ≠ 0: a one-parameter family, as in the linear case of notebook 04.

    Args:
        a: the hidden value before the cube (a ≠ 0).
        target: the size of Y along e3 (the seed's 2).
        dtype: the dtype of the returned 3 x 3 matrix.
    """
    a = check_real(a, "a")
    target = check_real(target, "target")
    if a == 0:
        raise ValueError("a must be nonzero (S e2 = target / a³ · e3), got 0.0")
    S = torch.zeros((3, 3), dtype=dtype)
    S[1, 0] = a
    S[2, 1] = target / a**3
    return S


def plot_elementwise(names: Iterable[str] | None = None, span: float = 2.0):
    """The named elementwise functions f(z) on [-span, span], one panel each (notebook 05).

    Args:
        names: which of ``ELEMENTWISE`` to draw; all of them by default.
        span: half-width of the z-range drawn (> 0).
    """
    import matplotlib.pyplot as plt

    span = check_real(span, "span", minimum=0.0, strict=True)
    if names is not None and (isinstance(names, str) or not isinstance(names, Iterable)):
        raise TypeError(f"names must be a list of names from {sorted(ELEMENTWISE)} or None, got {describe(names)}")
    names = list(ELEMENTWISE) if names is None else list(names)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"names must hold names from {sorted(ELEMENTWISE)}, got {describe(name)}")
        if name not in ELEMENTWISE:
            raise ValueError(f"names must be taken from {sorted(ELEMENTWISE)}, got {name!r}")
    if not names:
        raise ValueError("names must hold at least one name, got none")
    z = torch.linspace(-span, span, 201, dtype=torch.float64)
    fig, axes = plt.subplots(1, len(names), figsize=(2.3 * len(names) + 0.4, 2.4), layout="constrained",
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(z.numpy(), ELEMENTWISE[name](z[:, None])[:, 0].numpy())
        ax.plot(z.numpy(), z.numpy(), color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(name)
        ax.set_xlabel("z")
        ax.set_ylim(-span * 1.2, span * 1.2)
    axes[0, 0].set_ylabel("f(z)   (dotted: z)")
    ends = []
    for name in names:
        low, high = (float(v) for v in ELEMENTWISE[name](z[[0, -1], None])[:, 0])
        off = " (beyond the panel)" if max(abs(low), abs(high)) > span * 1.2 else ""
        ends.append(f"{name} {_number(low, 2)} and {_number(high, 2)}{off}")
    return describe_figure(fig, (
        f"Line plots of the elementwise activations f(z) for z from {_number(-span, 2)} to {_number(span, 2)}, "
        f"one panel each ({', '.join(names)}), y from {_number(-span * 1.2, 2)} to {_number(span * 1.2, 2)}, "
        f"with the dotted line f(z) = z to compare. At z = {_number(-span, 2)} and z = {_number(span, 2)}: "
        + "; ".join(ends) + "."))


def plot_runs(histories: Mapping[str, History], title: str | None = None) -> Figure:
    """``plot_losses``, with every run identical to an earlier one drawn dashed on top of it (notebook 05).

    Two activations can give exactly the same run (relu is the identity while
    the hidden value stays positive); drawn alike, the second curve would hide
    the first. A repeated run is dashed and its legend entry says which run it
    repeats.

    Args:
        histories: label -> History (what ``train`` returns).
        title: the axes' title.
    """
    fig = plot_losses(histories, title=title)
    ax = fig.axes[0]
    curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    labels = list(histories)
    _mark_lines(curves, CURVE_MARKERS, count=8)  # each curve its own marker, not only its colour
    words = []
    for i, (label, line) in enumerate(zip(labels, curves)):
        same = next((other for other in labels[:i] if histories[other].losses == histories[label].losses), None)
        if same is not None:
            line.set_linestyle((0, (3, 3)))
            line.set_linewidth(2.0)
            line.set_label(f"{line.get_label()} (same run as {same}, dashed)")
        words.append(_run_words(f"{label} ({MARKER_NAMES[line.get_marker()]})", histories[label])
                     + (f", the same run as {same} (dashed)" if same is not None else ""))
    ax.legend(fontsize=8, loc="best")
    tols = sorted({h.tol for h in histories.values() if h.tol > 0})
    return describe_figure(fig, (
        f"Loss per epoch on a log axis{f' ({title})' if title else ''}, one curve per run, each with its own "
        f"marker and ending in a dot (converged), a square (epochs used up) or a cross (diverged): "
        + "; ".join(words) + "."
        + (f" Dotted line: tol = {', '.join(f'{t:g}' for t in tols)}." if tols else "")))


def chain_mask(n: int) -> torch.Tensor:
    """Ω with ones just below the diagonal, Ω[i+1, i] = 1: a 1-1-…-1 MLP (notebook 05).

    Row 0 is the data slot (nothing flows into it); row i+1 receives from row
    i only, so S moves the signal one row down per iteration: n - 1 layers.

    Args:
        n: size of the state (>= 2).
    """
    n = check_int(n, "n", minimum=2)
    return torch.diag(torch.ones(n - 1), -1)


def lower_mask(n: int, data_rows: int = 1) -> torch.Tensor:
    """Ω strictly lower triangular, zero in the first ``data_rows`` rows (notebook 05).

    Every row below the data receives from every row above it (an MLP with
    skip connections); the data rows receive nothing, they are the slot that
    ``Injection`` fills.

    Args:
        n: size of the state (>= 2).
        data_rows: how many rows at the top hold the data (1 <= data_rows < n).
    """
    n = check_int(n, "n", minimum=2)
    data_rows = check_int(data_rows, "data_rows", minimum=1, maximum=n - 1)
    mask = torch.tril(torch.ones(n, n), -1)
    mask[:data_rows] = 0
    return mask


def _check_states(states: Any) -> list[torch.Tensor]:
    if isinstance(states, (torch.Tensor, np.ndarray, str)) or not isinstance(states, Sequence):
        raise TypeError(f"states must be a list of n x m matrices (a trajectory), got {describe(states)}")
    if len(states) == 0:
        raise ValueError("states must hold at least one state, got an empty list")
    out = [as_matrix(z, f"states[{j}]", dtype=torch.float64) if not isinstance(z, torch.Tensor) else z.detach().double()
           for j, z in enumerate(states)]
    for j, z in enumerate(out):
        if z.shape != out[0].shape:
            raise ValueError(f"states[{j}] must have the shape of states[0] {tuple(out[0].shape)}, got {tuple(z.shape)}")
    return out


def state_changes(states: Sequence[Any]) -> list[float]:
    """The change per iteration ``c_j = ||Z_j+1 - Z_j||_F``, j = 0 … len(states) - 2 (notebook 05).

    Args:
        states: a trajectory [Z_0, Z_1, ...] as ``iterate`` returns it.
    """
    states = _check_states(states)
    return [float(torch.linalg.matrix_norm(b - a)) for a, b in zip(states, states[1:])]


def distances(states: Sequence[Any], Y: Any, rows: Any = None) -> list[float]:
    """``||Y - Z_j||_F`` for every state, on the rows ``rows`` only if given (notebook 06).

    Args:
        states: a trajectory [Z_0, Z_1, ...].
        Y: the target, shaped like the states.
        rows: 0-based row indices to compare (e.g. the output rows); all if None.
    """
    states = _check_states(states)
    Y = as_matrix(Y, "Y", dtype=torch.float64)
    if Y.shape != states[0].shape:
        raise ValueError(f"Y must have the shape of the states {tuple(states[0].shape)}, got {tuple(Y.shape)}")
    if rows is None:
        index = list(range(Y.shape[0]))
    else:
        index = [rows] if isinstance(rows, int) else list(rows)
        if not index or any(not isinstance(r, int) or not 0 <= r < Y.shape[0] for r in index):
            raise ValueError(f"rows must be row indices 0 to {Y.shape[0] - 1}, got {rows!r}")
    return [float(torch.linalg.matrix_norm(Y[index] - z[index])) for z in states]


def format_vector(values: Any, digits: int = 3) -> str:
    """The entries of a vector or matrix as "[a, b, c]" with ``digits`` decimals (notebooks 05, 06).

    Rounded before printing, so a tiny negative number prints as 0.000, not
    -0.000: the text does not depend on the last bits of a float.

    Args:
        values: a tensor, array or list of numbers (flattened).
        digits: decimals to print (0 to 12).
    """
    digits = check_int(digits, "digits", minimum=0, maximum=12)
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise TypeError(f"values must be numbers (a tensor, array or list), got {describe(values)}") from err
    return "[" + ", ".join(f"{round(float(v), digits) + 0.0:.{digits}f}" for v in array) + "]"


def settling_iteration(states: Sequence[Any], atol: float = 1e-9) -> int | None:
    """The first j from which the trajectory stops changing, or None (notebook 05).

    The smallest j with ``||Z_i+1 - Z_i|| <= atol`` for every i >= j (and at
    least one such i measured): Z_j is then a fixed point of the iteration as
    far as the trajectory shows. None when the last change is still > atol.

    Args:
        states: a trajectory [Z_0, Z_1, ...].
        atol: the largest change counted as none (>= 0).
    """
    atol = check_real(atol, "atol", minimum=0.0)
    changes = state_changes(states)
    j = len(changes)
    while j > 0 and changes[j - 1] <= atol:
        j -= 1
    return j if j < len(changes) else None


def random_chain(layers: int, scale: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """An (layers + 1) x (layers + 1) matrix with random weights just below the diagonal (notebook 05).

    The operator of a 1-1-…-1 MLP with ``layers`` layers: row 0 is the data
    slot, weight S[i+1, i] ~ scale · U(0.5, 1.5) (never 0, so every layer passes
    the signal on), zero elsewhere. Float64.

    Args:
        layers: number of layers (>= 1).
        scale: size of the weights (> 0).
        generator: a torch.Generator for the weights.
    """
    layers = check_int(layers, "layers", minimum=1)
    scale = check_real(scale, "scale", minimum=0.0, strict=True)
    weights = scale * (0.5 + torch.rand(layers, generator=generator, dtype=torch.float64))
    return torch.diag(weights, -1)


def settling_table(
    depths: Sequence[int] = (1, 2, 3, 4, 5),
    fn: Any = "tanh",
    extra: int = 4,
    seed: int = 0,
) -> list[tuple[int, int | None, int | None]]:
    """For random chains of each depth L: (L, settling with injection, without) (notebook 05).

    The state is [x; h_1; …; h_L], X = e1, S = ``random_chain(L)``, ``fn`` on
    every hidden and output row, iterated L + ``extra`` times. With the data
    row clamped (``Injection``) the state is fixed from iteration L on; without
    it the data leaves row 0 after one iteration and the state drains to zero,
    fixed only from L + 1 on, and at zero.

    Args:
        depths: the numbers of layers L to try (each >= 1).
        fn: the activation on rows 1 … L ("tanh", "cube", … or a callable).
        extra: iterations beyond L (>= 1).
        seed: seed of the private generator of the weights.
    """
    if isinstance(depths, (str, bytes)) or not isinstance(depths, Iterable):
        raise TypeError(f"depths must be a list of layer counts (integers >= 1), got {describe(depths)}")
    extra = check_int(extra, "extra", minimum=1)
    generator = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    rows = []
    for L in depths:
        L = check_int(L, "depths", minimum=1)
        S = random_chain(L, generator=generator)
        X = torch.zeros((L + 1, 1), dtype=torch.float64)
        X[0, 0] = 1.0
        hidden = per_row(list(range(1, L + 1)), fn)
        with_inj = iterate(S, X, L + extra, Injection(X, rows=0) >> hidden)
        without = iterate(S, X, L + extra, hidden)
        rows.append((L, settling_iteration(with_inj), settling_iteration(without)))
    return rows


@dataclass(frozen=True)
class SeedRun:
    """A map trained on the seed's data (X = e1, Y = 2·e3), for notebooks 05 and 06.

    Attributes:
        S: the trained operator, the caller's own (train it further if you like).
        history: what ``train`` returned, the caller's own copy.
        activation: the σ(Z, j) it was trained with (None for identity).
        iterations: its trained depth.
    """

    S: SparseMatrix
    history: History
    activation: Callable | None
    iterations: int

    def __post_init__(self) -> None:
        if not isinstance(self.S, SparseMatrix):
            raise TypeError(f"S must be a course_utils.SparseMatrix, got {describe(self.S)}")
        if not isinstance(self.history, History):
            raise TypeError(f"history must be a course_utils.History, got {describe(self.history)}")
        check_activation(self.activation)
        check_int(self.iterations, "iterations", minimum=1)

    def states(self, extra: int = 0, activation: Callable | None | str = "trained") -> list[torch.Tensor]:
        """The trajectory of X for the trained depth plus ``extra`` iterations.

        ``activation`` defaults to the one it was trained with; pass another
        (e.g. with ``Injection``) to run the same S differently.
        """
        extra = check_int(extra, "extra", minimum=0)
        act = self.activation if isinstance(activation, str) and activation == "trained" else activation
        X, _ = seed_data(self.S.U.dtype)
        return iterate(self.S, X, self.iterations + extra, act)


@copied(maxsize=128)
def _cached_train_on_seed(fn: str, mask: str, init_noise: float, lr: float, epochs: int, iterations: int,
                          interim_weight: float, dtype: torch.dtype) -> tuple:
    """The run as plain data, (Init, Omega, U, losses, converged, diverged): the
    cache hands out no object a caller could change."""
    X, Y = seed_data(dtype)
    # the seed's Init (drawn in float32, as the seed did), then in dtype
    Init = init_noise * torch.rand((3, 3), generator=seed_generator(), dtype=torch.float32)
    Omega = torch.ones((3, 3), dtype=dtype) if mask == "full" else chain_mask(3).to(dtype)
    S = SparseMatrix(3, Init=Init.to(dtype) * Omega, Omega=Omega)
    history = train(S, X, Y, iterations=iterations, epochs=epochs, lr=lr,
                    activation=_hidden_activation(fn), interim_weight=interim_weight)
    return S.Init, S.Omega, S.U.detach(), tuple(history.losses), history.converged, history.diverged


def _hidden_activation(fn: str) -> Callable | None:
    return None if fn == "identity" else per_row(1, fn)


def train_on_seed(
    fn: str = "identity",
    mask: str = "full",
    init_noise: float = 0.1,
    lr: float = 0.01,
    epochs: int = 401,
    iterations: int = 2,
    interim_weight: float = 0.0,
    dtype: torch.dtype = torch.float64,
) -> SeedRun:
    """Train S on the seed's data with ``fn`` on the hidden row 1 (notebooks 05, 06).

    Init is the seed's (``seed_generator``) scaled to ``init_noise``; with
    ``mask="chain"`` both Init and Ω live just below the diagonal
    (``chain_mask(3)``: e1 → e2 → e3, a 1-1-1 MLP). Results are cached: the
    same arguments give the same run again, in a new ``SeedRun`` each time
    (its S and history are the caller's to train or change). Float64 by default: some runs
    (interim losses from Init = 0) bounce around the minimum for a while, and
    in float32 the last bits of the CPU's arithmetic would decide the
    stopping epoch.

    Args:
        fn: "identity", "cube", "tanh" or "relu", applied to row 1 after every S.
        mask: "full" (the seed's Ω = 1) or "chain".
        init_noise: scale of Init (>= 0).
        lr: SGD learning rate (> 0).
        epochs: most epochs (>= 1).
        iterations: trained depth (>= 1).
        interim_weight: weight of the interim losses (>= 0), notebook 06.
        dtype: torch.float64 or torch.float32.
    """
    from ..activations import ELEMENTWISE

    if not isinstance(fn, str) or fn not in ELEMENTWISE:
        raise ValueError(f"fn must be one of {sorted(ELEMENTWISE)}, got {fn!r}")
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float64 or torch.float32, got {describe(dtype)}")
    if mask not in ("full", "chain"):
        raise ValueError(f"mask must be 'full' or 'chain', got {mask!r}")
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    iterations = check_int(iterations, "iterations", minimum=1)
    Init, Omega, U, losses, converged, diverged = _cached_train_on_seed(
        fn, mask,
        check_real(init_noise, "init_noise", minimum=0.0),
        lr,
        check_int(epochs, "epochs", minimum=1),
        iterations,
        check_real(interim_weight, "interim_weight", minimum=0.0),
        dtype,
    )
    history = History(list(losses), converged, diverged, lr=lr, iterations=iterations)
    return SeedRun(SparseMatrix(3, Init=Init, Omega=Omega, U=U), history, _hidden_activation(fn), iterations)


NOTEBOOK = "05_nonlinear_activations"


#: the trained set-up of the notebook: the 1-1-1 chain e1 → e2 → e3
CHAIN = dict(mask="chain", init_noise=0.5, lr=0.01, epochs=1000)


EXTRA_MAX = 8


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "activation": widgets.Dropdown(options=list(ELEMENTWISE), value="cube", description="σ on e₂", style=style),
        "extra": widgets.IntSlider(value=3, min=0, max=EXTRA_MAX, description="iterations past depth", style=style),
        "injection": widgets.Checkbox(value=True, description="inject X (clamp e₁)", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_activation(activation: str = "cube", extra: int = 3, injection: bool = True) -> Figure:
    """The chain e1 → e2 → e3 trained with σ on the e₂ row, run 2 + ``extra`` iterations.

    The trajectory X, σ(SX), … next to the target Y = 2·e3; the title says
    from which iteration on the state stops changing, if it does.
    """
    run = train_on_seed(str(activation), **CHAIN)
    X, Y = seed_data()
    sigma = per_row(1, str(activation))
    if injection:
        sigma = Injection(X, rows=0) >> sigma
    states = run.states(int(extra), sigma)
    # no layout engine: it would double the drawing time; inline output is cropped anyway
    fig, ax = plt.subplots(figsize=(1.6 + 0.62 * (len(states) + 1), 2.6))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.85)
    plot_trajectory(states, labels=state_labels(len(states), operator="σS"), target=Y, ax=ax)
    settle = settling_iteration(states)
    fixed = f"fixed from iteration {settle}" if settle is not None else "still changing"
    ax.set_title(f"σ = {activation} on e₂, {'with' if injection else 'without'} injection: {fixed}")
    depth, last = run.iterations, len(states) - 1
    return describe_figure(ax.figure, (
        f"Heatmap of the trajectory X, σSX, … of the chain e₁ → e₂ → e₃ trained with σ = {activation} on e₂, "
        f"run {last} iterations ({int(extra)} past the trained depth {depth}), "
        f"{'with X injected (e₁ clamped)' if injection else 'without injection'}, "
        f"beside the target Y = {_vector(Y)}. "
        f"The state is {fixed}: it is {_vector(states[min(depth, last)])} after iteration {min(depth, last)}"
        + (f" and {_vector(states[-1])} after iteration {last}." if last > depth else ".")))


def plot_drift(
    runs: Mapping[str, Sequence[Any]],
    depth: int | None = None,
    Y: Any = None,
    row: int | None = None,
) -> Figure:
    """Two panels per trajectory: the change per iteration, and the distance to Y (notebooks 05, 06).

    Left: ``||Z_j+1 - Z_j||_F`` against j on a log axis (an exact 0 is drawn at
    the bottom, marked "0"). Right: ``||Y - Z_j||`` (on the 0-based row ``row``, e_(row+1), only if
    given) when Y is given. A dashed line marks the trained ``depth``.

    Args:
        runs: label -> trajectory [Z_0, Z_1, ...].
        depth: the trained number of iterations, marked if given.
        Y: the target, for the right panel.
        row: compare only this 0-based row with Y (e.g. the output row).
    """
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"runs must be a non-empty dict label -> trajectory, got {describe(runs)}")
    panels = 2 if Y is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.3), layout="constrained", squeeze=False)
    left = axes[0, 0]
    zero_drawn = False
    words = []
    for k, (label, states) in enumerate(runs.items()):
        marker = LINE_MARKERS[k % len(LINE_MARKERS)]  # each run its own marker, not only its colour
        changes = np.asarray(state_changes(states))
        finite = np.where(np.isfinite(changes), changes, np.nan)
        j = np.arange(1, len(changes) + 1)
        (line,) = left.plot(j, np.maximum(finite, FLOOR), "-", marker=marker, label=label, markersize=4)
        zero_drawn |= bool((finite <= FLOOR).any())
        settle = settling_iteration(states)
        text = f"{label} ({MARKER_NAMES[marker]}): " + (f"fixed from iteration {settle}" if settle is not None
                                                     else f"still changing, last change {_number(changes[-1])}"
                                                     if len(changes) else "a single state")
        if Y is not None:
            d = distances(states, Y, rows=row)
            axes[0, 1].plot(range(len(d)), d, "-", marker=marker, color=line.get_color(), label=label, markersize=4)
            at = dict.fromkeys(i for i in (depth, len(d) - 1) if i is not None and 0 <= i < len(d))
            text += ", distance to Y " + " and ".join(f"{_number(d[i])} at j = {i}" for i in at)
        words.append(text)
    left.set_yscale("log")
    light_log_axis(left)
    left.set_xlabel("iteration j")
    left.set_ylabel("change  ||Z_j - Z_j-1||")
    left.set_title("change per iteration")
    if zero_drawn:
        left.annotate("= 0 (no change)", xy=(0.02, FLOOR), xycoords=("axes fraction", "data"),
                      xytext=(0, 4), textcoords="offset points", fontsize=8, color="grey")
    left.legend(fontsize=8)
    if Y is not None:
        right = axes[0, 1]
        right.set_xlabel("iteration j")
        right.set_ylabel("||Y - Z_j||" + (f" on e{row + 1}" if row is not None else ""))
        right.set_title("distance to the target")
        right.set_ylim(bottom=0)
    if depth is not None:
        for ax in axes[0]:
            ax.axvline(depth, color="grey", linestyle="--", linewidth=1)
            ax.annotate("trained depth", xy=(depth, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -10), textcoords="offset points", fontsize=8, color="grey")
    panels_text = ("left, the change per iteration ||Z_j − Z_j−1|| on a log axis"
                   + (" (an exact 0 drawn at the bottom)" if zero_drawn else "")
                   + (f"; right, the distance ||Y − Z_j||{f' on e{row + 1}' if row is not None else ''}"
                      if Y is not None else ""))
    dashed = f", the trained depth {depth} dashed" if depth is not None else ""
    return describe_figure(fig, (
        f"Line plots against the iteration j, one line and marker per run{dashed}: {panels_text}. "
        + "; ".join(words) + "."))
