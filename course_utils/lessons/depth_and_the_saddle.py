"""Notebook 03, depth and the saddle. The loss as a function of U: its value, gradient and Hessian at a point,
and the plateau of training (notebook 03).

The loss is the one ``train`` minimises (notebook 01):

    Z_0 = X,   Z_j = σ(S Z_{j-1}, j-1),   S = Init + Ω ⊙ U,
    L(U) = ||Y - Z_k||_F + interim_weight · Σ_j ||Y - Z_j||_F

At ``Init = 0, U = 0`` with the seed's data (X = e1, Y = 2·e3) the gradient
has norm 1 for one iteration and is exactly zero for two or more: training
that starts there never moves. The Hessian tells what kind of critical point
it is. The Frobenius norm is not differentiable where ``Y - Z_k = 0``; at
``U = 0`` the residual is ``Y ≠ 0``, so everything here is smooth.

Everything is computed in float64 unless a ``dtype`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from .._checks import (
    as_matrix,
    check_activation,
    check_int,
    check_mask,
    check_real,
    describe,
)
from ..data import seed_data, seed_generator
from ..operator import SparseMatrix
from ..plotting import (
    PALETTE, _describe, describe_figure, fixed, loss_summary, new_axes, plot_loss, rounded, sentence,
)
from ..training import ActivationFn, History, pass_loss, train
from .cache import copied
from .explorer import explorer

__all__ = [
    "critical_point",
    "CriticalPoint",
    "depth_run",
    "EPOCHS",
    "explore_depth",
    "gradient_at",
    "hessian_at",
    "loss_at",
    "plateau_length",
    "plateau_run",
    "plateau_sweep",
    "PlateauSweep",
    "per_decade_predicted",
    "plot_plateau_laws",
    "plot_plateau_sweep",
    "plot_saddle_slices",
]



def _prepare(
    S_or_Init: Any, U: Any, X: Any, Y: Any, iterations: int, activation: Any,
    interim_weight: float, Omega: Any, dtype: torch.dtype | None,
) -> tuple:
    """Checked tensors (Init, Omega, U, X, Y) and settings; n comes from the
    operator, else from Init, else from the rows of X."""
    if dtype is None:
        dtype = torch.float64
    elif not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype or None, got {describe(dtype)}")
    if isinstance(S_or_Init, SparseMatrix):
        if Omega is not None:
            raise ValueError("Omega must be None when S_or_Init is a SparseMatrix (its own Omega is used), got a mask")
        n = S_or_Init.n
        Init, Omega = S_or_Init.Init.detach().to(dtype), S_or_Init.Omega.detach().to(dtype)
    elif S_or_Init is not None:
        Init = as_matrix(S_or_Init, "S_or_Init", dtype=dtype)
        n = Init.shape[0]
        if Init.shape[1] != n:
            raise ValueError(f"S_or_Init must be a SparseMatrix, a square Init matrix or None, got shape {tuple(Init.shape)}")
    else:
        n = as_matrix(X, "X").shape[0]
        Init = torch.zeros((n, n), dtype=dtype)
    if not isinstance(S_or_Init, SparseMatrix):
        Omega = torch.ones((n, n), dtype=dtype) if Omega is None else check_mask(Omega, "Omega", n, dtype)
    U = as_matrix(U, "U", rows=n, cols=n, dtype=dtype)
    X = as_matrix(X, "X", rows=n, dtype=dtype)
    Y = as_matrix(Y, "Y", dtype=dtype)
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {tuple(X.shape)}, got shape {tuple(Y.shape)}")
    iterations = check_int(iterations, "iterations", minimum=1)
    activation = check_activation(activation)
    interim_weight = check_real(interim_weight, "interim_weight", minimum=0.0)
    return Init, Omega, U, X, Y, iterations, activation, interim_weight


def _loss(
    Init: torch.Tensor, Omega: torch.Tensor, U: torch.Tensor, X: torch.Tensor, Y: torch.Tensor,
    iterations: int, activation: ActivationFn | None, interim_weight: float,
) -> torch.Tensor:
    """The loss of ``train`` for one U (the same function computes both)."""
    return pass_loss(Init + Omega * U, X, Y, iterations, activation, interim_weight)


def loss_at(S_or_Init: Any, U: Any, X: Any, Y: Any, iterations: int = 2, activation: ActivationFn | None = None,
            interim_weight: float = 0.0, Omega: Any = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """The training loss L(U) of ``train`` at the point U (notebook 03).

    L(U) = ||Y - Z_k||_F + interim_weight · Σ_j ||Y - Z_j||_F with
    Z_0 = X, Z_j = σ(S Z_{j-1}, j-1) and S = Init + Ω ⊙ U.

    Args:
        S_or_Init: a ``SparseMatrix`` (its Init and Ω are used), an n x n
            ``Init`` matrix, or None for Init = 0.
        U: the point, n x n. If it is a tensor that requires grad, the
            result can be differentiated with respect to it.
        X, Y: inputs and targets as columns, shape (n, m).
        iterations: applications of S (k >= 1).
        activation: ``activation(Z, j)`` after iteration j; identity if None.
        interim_weight: weight of the summed per-iteration losses (>= 0).
        Omega: 0/1 mask (only when ``S_or_Init`` is not a SparseMatrix);
            all ones if None.
        dtype: floating dtype of the computation; float64 if None.

    Returns:
        the loss as a 0-dimensional tensor.
    """
    parts = _prepare(S_or_Init, U, X, Y, iterations, activation, interim_weight, Omega, dtype)
    return _loss(*parts)


def gradient_at(S_or_Init: Any, U: Any, X: Any, Y: Any, iterations: int = 2, activation: ActivationFn | None = None,
                interim_weight: float = 0.0, Omega: Any = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """The gradient ∂L/∂U at the point U, an n x n tensor (notebook 03).

    This is what one SGD step of ``train`` subtracts (times lr). Entries
    outside the mask Ω are zero (never -0.0). Arguments as for ``loss_at``.
    """
    Init, Omega, U, X, Y, iterations, activation, interim_weight = _prepare(
        S_or_Init, U, X, Y, iterations, activation, interim_weight, Omega, dtype
    )
    U = U.detach().clone().requires_grad_(True)
    loss = _loss(Init, Omega, U, X, Y, iterations, activation, interim_weight)
    (grad,) = torch.autograd.grad(loss, U)
    return grad + 0.0  # + 0.0 turns -0.0 entries into 0.0 (prints as 0.)


def hessian_at(S_or_Init: Any, U: Any, X: Any, Y: Any, iterations: int = 2, activation: ActivationFn | None = None,
               interim_weight: float = 0.0, Omega: Any = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """The Hessian ∂²L/∂u∂u of the loss in the flattened u = vec(U) (notebook 03).

    u lists U row by row: entry (i, j) of U (0-based) is u[i·n + j], so the
    result is n² x n², symmetric. Computed with
    ``torch.autograd.functional.hessian``. Arguments as for ``loss_at``.
    """
    Init, Omega, U, X, Y, iterations, activation, interim_weight = _prepare(
        S_or_Init, U, X, Y, iterations, activation, interim_weight, Omega, dtype
    )
    n = U.shape[0]

    def flat_loss(u: torch.Tensor) -> torch.Tensor:
        return _loss(Init, Omega, u.reshape(n, n), X, Y, iterations, activation, interim_weight)

    return torch.autograd.functional.hessian(flat_loss, U.detach().reshape(-1).clone())


@dataclass
class CriticalPoint:
    """The loss, gradient norm and Hessian eigenvalues at one point.

    ``kind`` reads them: "not critical" (gradient ≠ 0), "minimum" (all
    eigenvalues > 0), "maximum" (all < 0), "saddle" (both signs),
    "degenerate (Hessian = 0)" (all zero) or "degenerate" (zeros and one sign:
    second order cannot tell).
    """

    iterations: int
    loss: float
    gradient_norm: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray | None = None
    gradient: np.ndarray | None = None
    tol: float = 1e-9

    @property
    def kind(self) -> str:
        if self.gradient_norm > self.tol:
            return "not critical"
        eig = self.eigenvalues
        scale = max(1.0, float(np.abs(eig).max(initial=0.0)))
        pos = bool((eig > self.tol * scale).any())
        neg = bool((eig < -self.tol * scale).any())
        zero = bool((np.abs(eig) <= self.tol * scale).any())
        if pos and neg:
            return "saddle"
        if not pos and not neg:
            return "degenerate (Hessian = 0)"
        if zero:
            return "degenerate"
        return "minimum" if pos else "maximum"

    def rounded_eigenvalues(self, digits: int = 4) -> list[float]:
        """The distinct eigenvalues rounded to ``digits`` (-0.0 printed as 0.0)."""
        return sorted({round(float(v), digits) + 0.0 for v in self.eigenvalues})

    def __str__(self) -> str:
        eig = self.rounded_eigenvalues()
        return (
            f"{self.iterations} iteration{'s' if self.iterations > 1 else ' '}:  L = {self.loss:.4f}   "
            f"|∇L| = {self.gradient_norm:.4f}   Hessian eigenvalues {eig[0]:+.4f} … {eig[-1]:+.4f}   "
            f"→ {self.kind}"
        )


def critical_point(S_or_Init: Any = None, U: Any = None, X: Any = None, Y: Any = None, iterations: int = 2,
                   activation: ActivationFn | None = None, interim_weight: float = 0.0, Omega: Any = None) -> CriticalPoint:
    """Loss, gradient norm and Hessian eigenvalues of L at U (notebook 03).

    Defaults: Init = 0, U = 0 and the seed's data (X = e1, Y = 2·e3), the
    point where the seed's training would start with ``Init_noise = 0``.
    Other arguments as for ``loss_at``; computed in float64.
    """
    if X is None and Y is None:
        X, Y = seed_data(torch.float64)
    elif X is None or Y is None:
        raise ValueError("X and Y must be given together (or both None for the seed's data)")
    if U is None:
        n = as_matrix(X, "X").shape[0]
        U = torch.zeros((n, n), dtype=torch.float64)
    args = (S_or_Init, U, X, Y, iterations, activation, interim_weight, Omega)
    loss = float(loss_at(*args))
    grad = gradient_at(*args)
    hessian = hessian_at(*args)
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    return CriticalPoint(
        iterations, loss, float(torch.linalg.vector_norm(grad)), eigenvalues.numpy(),
        eigenvectors.numpy(), grad.numpy(),
    )


def _route(n: int) -> np.ndarray:
    """A U whose k-th power sends e1 towards e_n: e1 → e2 → ... → e_n → e_n,
    normalised (a direction along which the k-th order term is not zero)."""
    R = np.zeros((n, n))
    for i in range(n - 1):
        R[i + 1, i] = 1.0
    R[n - 1, n - 1] = 1.0
    return R / np.linalg.norm(R)


def plot_saddle_slices(iterations: Sequence[int] = (1, 2, 3), extent: float = 1.5, steps: int = 81) -> Figure:
    """The loss along lines through Init = 0, U = 0 (seed data), one panel per
    number of iterations (notebook 03).

    Along each line U = t·Δ, t in [-extent, extent], with the direction Δ:
    the steepest descent direction -∇L/|∇L| when the gradient is not zero;
    otherwise the Hessian's eigenvector of its smallest eigenvalue when that
    is negative, or, when the Hessian is zero, the route e1 → e2 → e3 → e3
    (along which the k-th order term shows); and the eigenvector of the
    largest eigenvalue when that is positive.
    """
    import matplotlib.pyplot as plt

    if isinstance(iterations, int):
        iterations = [iterations]
    if not isinstance(iterations, (list, tuple, range)) or len(iterations) == 0:
        raise TypeError(f"iterations must be an int or a non-empty list of ints, got {describe(iterations)}")
    ks = [check_int(k, "iterations[i]", minimum=1) for k in iterations]
    extent = check_real(extent, "extent", minimum=0.0, strict=True)
    steps = check_int(steps, "steps", minimum=3)
    X, Y = seed_data(torch.float64)
    n = X.shape[0]
    ts = np.linspace(-extent, extent, steps)
    fig, axes = plt.subplots(1, len(ks), figsize=(3.2 * len(ks) + 0.4, 3.0), layout="constrained",
                             squeeze=False, sharey=True)
    panels = []
    for ax, k in zip(axes[0], ks):
        cp = critical_point(iterations=k)
        scale = max(1.0, float(np.abs(cp.eigenvalues).max()))
        lines = []
        if cp.gradient_norm > cp.tol:
            lines.append(("-∇L / |∇L|", -cp.gradient / cp.gradient_norm))
        elif cp.eigenvalues[0] < -cp.tol * scale:
            lines.append((f"eigenvector of λ = {cp.eigenvalues[0]:+.3f}", cp.eigenvectors[:, 0].reshape(n, n)))
        else:
            lines.append(("route e1→e2→e3→e3", _route(n)))
        if cp.eigenvalues[-1] > cp.tol * scale:
            lines.append((f"eigenvector of λ = {cp.eigenvalues[-1]:+.3f}", cp.eigenvectors[:, -1].reshape(n, n)))
        zero, ones = torch.zeros((n, n), dtype=torch.float64), torch.ones((n, n), dtype=torch.float64)
        words = []
        for label, D in lines:
            D = torch.as_tensor(D, dtype=torch.float64)
            with torch.no_grad():  # the loss of loss_at, without re-checking its inputs each time
                values = [float(_loss(zero, ones, float(t) * D, X, Y, k, None, 0.0)) for t in ts]
            ax.plot(ts, values, label=label)
            words.append(f"along the {label}: {fixed(values[0])} at t = {fixed(-extent)}, {fixed(cp.loss)} at 0, "
                         f"{fixed(values[-1])} at t = {fixed(extent)}")
        panels.append(f"{k} iteration{'s' if k > 1 else ''} (|∇L| = {cp.gradient_norm:.2f}, {cp.kind}): " + "; ".join(words))
        ax.plot([0], [cp.loss], "ko")
        ax.set_title(f"{k} iteration{'s' if k > 1 else ''}: |∇L| = {cp.gradient_norm:.2f}", fontsize=10)
        ax.set_xlabel("t   (U = t·Δ)")
        ax.legend(loc="lower center", fontsize=8)
    axes[0][0].set_ylabel("loss L(t·Δ)")
    return describe_figure(fig, (
        f"The loss L(t·Δ) along lines U = t·Δ through Init = 0, U = 0 (seed data, the black dot at t = 0), "
        f"t from {fixed(-extent)} to {fixed(extent)}, one panel per number of iterations, each line in its own style. "
        + ". ".join(sentence(p)[:-1] for p in panels) + "."
    ))


def plateau_length(history: History | Sequence[float], fraction: float = 0.9) -> int | None:
    """Epochs spent on the plateau: the first epoch whose loss is
    ``<= fraction · (loss at epoch 0)`` (notebook 03).

    Args:
        history: a ``History`` from ``train`` or a list of losses.
        fraction: in (0, 1); 0.9 means "until the loss has dropped by 10 %".

    Returns:
        the epoch, or None if the loss never got there (still on the plateau
        when training stopped).
    """
    if isinstance(history, History):
        losses = history.losses
    elif isinstance(history, (list, tuple, np.ndarray)):
        try:
            losses = [float(v) for v in history]
        except (TypeError, ValueError) as err:
            raise TypeError(f"history must be a list of numbers (losses), got {describe(history)}") from err
    else:
        raise TypeError(f"history must be a course_utils.History or a list of losses, got {describe(history)}")
    fraction = check_real(fraction, "fraction", minimum=0.0, strict=True)
    if fraction >= 1:
        raise ValueError(f"fraction must be < 1, got {fraction}")
    if len(losses) == 0:
        raise ValueError("history must hold at least one loss, got none")
    threshold = fraction * losses[0]
    for epoch, loss in enumerate(losses):
        if loss <= threshold:
            return epoch
    return None


def _seed_operator(init_noise: float) -> SparseMatrix:
    """The seed's Init (its direction, drawn by ``seed_generator``) scaled to
    ``init_noise``, in float64."""
    direction = torch.rand((3, 3), generator=seed_generator())
    return SparseMatrix(3, Init=direction.double() * init_noise)


def plateau_run(
    init_noise: float = 0.1,
    iterations: int = 2,
    epochs: int = 800,
    lr: float = 0.01,
    tol: float = 0.01,
) -> History:
    """The seed's training run (its data, its Init scaled to ``init_noise``),
    in float64 (notebook 03).

    Args:
        init_noise: scale of Init (>= 0); the seed uses 0.1.
        iterations: applications of S (>= 1).
        epochs: most epochs; lr: SGD step; tol: stopping loss (as ``train``).
    """
    init_noise = check_real(init_noise, "init_noise", minimum=0.0)
    X, Y = seed_data(torch.float64)
    return train(_seed_operator(init_noise), X, Y, iterations=iterations, epochs=epochs, lr=lr, tol=tol)


@dataclass
class PlateauSweep:
    """Plateau lengths of the seed's run over init noise levels.

    ``lengths[i]`` is None when the run at ``noise[i]`` was still on the
    plateau after ``epochs`` epochs (the length is then at least ``epochs``).
    """

    noise: list[float]
    lengths: list[int | None]
    iterations: int
    epochs: int
    fraction: float
    lr: float = 0.01

    def _finished(self) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(a, b) for a, b in zip(self.noise, self.lengths) if b is not None and b > 0]
        if len(pairs) < 2:
            raise ValueError("a fit needs at least two runs that left the plateau within their epochs")
        noise, lengths = (np.asarray(v, dtype=float) for v in zip(*pairs))
        return noise, lengths

    def per_decade(self) -> float:
        """Epochs added per tenfold smaller noise: slope b of the least-squares
        line  length ≈ a + b·log10(1/noise)  (straight for two iterations)."""
        noise, lengths = self._finished()
        return float(np.polyfit(np.log10(1 / noise), lengths, 1)[0])

    def exponent(self) -> float:
        """Exponent p of the least-squares power law  length ≈ c·(1/noise)^p."""
        noise, lengths = self._finished()
        return float(np.polyfit(np.log(1 / noise), np.log(lengths), 1)[0])

    def local_exponents(self) -> list[float | None]:
        """The slope of log(length) against log(1/noise) between each finished
        run and the finished run before it in the list (None for the first
        one and for unfinished runs).

        Where the plateau follows ``c·(1/noise)^p`` the local exponent is p; a
        fit over a range where the law has not settled averages slopes that
        still change.
        """
        slopes: list[float | None] = []
        previous = None
        for noise, length in zip(self.noise, self.lengths):
            if length is None or length <= 0:
                slopes.append(None)
                continue
            if previous is None or previous[0] == noise:
                slopes.append(None)
            else:
                slopes.append(float(np.log(length / previous[1]) / np.log(previous[0] / noise)))
            previous = (noise, length)
        return slopes

    def law_table(self) -> str:
        """One line per noise level: the plateau, noise × plateau (constant
        where the plateau is c/noise) and the local exponent."""
        lines = [f"init noise   plateau   noise x plateau   local exponent  ({self.iterations} iterations)"]
        for noise, length, slope in zip(self.noise, self.lengths, self.local_exponents()):
            if length is None:
                lines.append(f"{noise:10.4f}   >={self.epochs}")
                continue
            text = f"{noise:10.4f}   {length:7d}   {noise * length:15.2f}"
            if slope is not None:
                text += f"   {slope:14.2f}"
            lines.append(text)
        return "\n".join(lines)

    def table(self) -> str:
        """One line per noise level, rounded for printing."""
        lines = [f"init noise   plateau ({self.iterations} iterations, epochs until loss <= {self.fraction:g} x start)"]
        for noise, length in zip(self.noise, self.lengths):
            text = f"{length:5d}" if length is not None else f">={self.epochs}"
            lines.append(f"{noise:10.4f}   {text}")
        return "\n".join(lines)


def plateau_sweep(
    noise_levels: Sequence[float],
    iterations: int = 2,
    epochs: int = 2000,
    lr: float = 0.01,
    fraction: float = 0.9,
) -> PlateauSweep:
    """Measure the plateau of the seed's run at each init noise (notebook 03).

    Each run is ``plateau_run(noise, iterations, epochs, lr)`` stopped as soon
    as the loss is ``<= fraction · (its loss at epoch 0)``, which is exactly
    ``plateau_length`` of the full run, at a fraction of the cost.

    Args:
        noise_levels: init noise values (> 0 each).
        iterations: applications of S (>= 1).
        epochs: most epochs per run; longer plateaus are reported as None.
        lr: SGD learning rate.
        fraction: in (0, 1), as for ``plateau_length``.
    """
    if isinstance(noise_levels, (str, bytes)) or not isinstance(noise_levels, (Sequence, np.ndarray, torch.Tensor)):
        raise TypeError(f"noise_levels must be a list of positive numbers, got {describe(noise_levels)}")
    noise = [
        check_real(float(v) if isinstance(v, torch.Tensor) else v, "noise_levels[i]", minimum=0.0, strict=True)
        for v in noise_levels
    ]
    if not noise:
        raise ValueError("noise_levels must hold at least one value, got none")
    iterations = check_int(iterations, "iterations", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    fraction = check_real(fraction, "fraction", minimum=0.0, strict=True)
    if fraction >= 1:
        raise ValueError(f"fraction must be < 1, got {fraction}")
    X, Y = seed_data(torch.float64)
    lengths: list[int | None] = []
    for level in noise:
        S = _seed_operator(level)
        start = float(loss_at(S, S.U.detach(), X, Y, iterations))
        history = train(S, X, Y, iterations=iterations, epochs=epochs, lr=lr, tol=fraction * start)
        lengths.append(history.stop_epoch if history.converged else None)
    return PlateauSweep(noise, lengths, iterations, epochs, fraction, lr)


def plot_plateau_sweep(sweeps: PlateauSweep | Sequence[PlateauSweep], ax: Axes | None = None) -> Figure:
    """Plateau length against init noise (log axis), one line per sweep (notebook 03).

    A plateau growing like log(1/noise) is a straight line here; one growing
    like a power of 1/noise bends upwards.

    Runs still on the plateau when their epochs ran out are drawn as open
    triangles at the cap (the true length is longer).
    """
    if isinstance(sweeps, PlateauSweep):
        sweeps = [sweeps]
    if not isinstance(sweeps, Sequence) or not sweeps or not all(isinstance(s, PlateauSweep) for s in sweeps):
        raise TypeError(f"sweeps must be a PlateauSweep or a list of them, got {describe(sweeps)}")
    owned = ax is None
    ax = new_axes(ax, figsize=(6.0, 3.8))
    parts = []
    for number, sweep in enumerate(sweeps):
        noise = np.asarray(sweep.noise, dtype=float)
        done = np.array([v is not None for v in sweep.lengths])
        lengths = np.array([v if v is not None else sweep.epochs for v in sweep.lengths], dtype=float)
        # a marker of its own per sweep (dots for the first), the line style from the cycle
        (line,) = ax.plot(noise[done], np.maximum(lengths[done], 1), marker=SWEEP_MARKERS[number % len(SWEEP_MARKERS)],
                          label=f"{sweep.iterations} iteration{'s' if sweep.iterations > 1 else ''}")
        parts.append(_sweep_words(sweep))
        if (~done).any():
            ax.plot(noise[~done], lengths[~done], "^", mfc="none", color=line.get_color(),
                    label=f"still on the plateau at {sweep.epochs}")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("init noise  (scale of Init, log scale)")
    ax.set_ylabel("plateau length  (epochs)")
    ax.set_title(f"epochs until the loss drops below {sweeps[0].fraction:g} x its start")
    ax.legend(loc="lower left", fontsize=9)
    return _describe(ax, (
        f"plateau length (epochs until the loss is below {sweeps[0].fraction:g} x its start) against init noise "
        f"(log axis), one line per number of iterations, each with its own marker: " + "; ".join(parts)
    ), owned)


#: the markers of the sweeps drawn in one axes, in order
SWEEP_MARKERS = ("o", "s", "D", "^")


def _sweep_words(sweep: PlateauSweep) -> str:
    """One sweep's points in words: all of them, or the first and last of many."""
    pairs = [(noise, length) for noise, length in zip(sweep.noise, sweep.lengths) if length is not None]
    words = [f"{length} at {rounded(noise, 2)}" for noise, length in pairs]
    if len(words) > 6:
        words = words[:2] + ["…"] + words[-2:]
    text = f"{sweep.iterations} iteration{'s' if sweep.iterations > 1 else ''}: " + (", ".join(words) or "no run left the plateau")
    capped = [noise for noise, length in zip(sweep.noise, sweep.lengths) if length is None]
    if capped:
        text += (f"; still on the plateau after {sweep.epochs} epochs at noise "
                 f"{', '.join(rounded(v, 2) for v in capped)} (open triangles)")
    return text


def per_decade_predicted(lr: float = 0.01, iterations: int = 2) -> float:
    """Epochs per tenfold smaller init noise that the Hessian at zero predicts
    (notebook 03): ``ln 10 / ln(1 + lr·|λ_min|)``.

    Near the saddle the gradient is the Hessian H times the distance from it,
    so one SGD step multiplies the component along the eigenvector of the
    most negative eigenvalue λ_min by ``1 + lr·|λ_min|``; leaving a plateau
    that starts ten times closer takes ``ln 10 / ln(1 + lr·|λ_min|)`` more
    epochs. For two iterations λ_min = -√2. Needs a negative eigenvalue
    (three iterations have none: their Hessian at zero is 0).

    Args:
        lr: SGD learning rate (> 0).
        iterations: applications of S (the seed's data, Init = 0, U = 0).
    """
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    iterations = check_int(iterations, "iterations", minimum=1)
    cp = critical_point(iterations=iterations)
    lowest = float(cp.eigenvalues.min())
    if cp.kind == "not critical" or lowest >= -cp.tol:
        raise ValueError(
            f"iterations must give a saddle at zero with a negative Hessian eigenvalue, got {iterations} ({cp.kind})"
        )
    return float(np.log(10.0) / np.log1p(lr * -lowest))


def plot_plateau_laws(two: PlateauSweep, three: PlateauSweep) -> Figure:
    """The two laws of the plateau, side by side (notebook 03).

    Left, two iterations on a log noise axis: the measured plateaus and the
    line of slope ``per_decade_predicted`` (epochs per decade, from the
    Hessian) through their mean. Right, three iterations on log–log axes: the
    measured plateaus and ``c / noise``, c = noise × plateau at the smallest
    noise that left the plateau; slope -1 on these axes.
    """
    for name, sweep in (("two", two), ("three", three)):
        if not isinstance(sweep, PlateauSweep):
            raise TypeError(f"{name} must be a PlateauSweep (what plateau_sweep returns), got {describe(sweep)}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.8), layout="constrained")
    plot_plateau_sweep(two, ax=left)
    noise, lengths = two._finished()
    slope = per_decade_predicted(two.lr, two.iterations)
    decades = np.log10(1 / noise)
    intercept = float(np.mean(lengths - slope * decades))
    grid = np.logspace(np.log10(noise.min()), np.log10(noise.max()), 50)
    left.plot(grid, intercept + slope * np.log10(1 / grid), "k--", linewidth=1,
              label=f"{slope:.2f} epochs per decade (Hessian)")
    left.set_title(f"{two.iterations} iterations: a straight line on a log noise axis", fontsize=10)
    left.legend(loc="upper right", fontsize=9)

    plot_plateau_sweep(three, ax=right)
    noise, lengths = three._finished()
    c = float(noise[np.argmin(noise)] * lengths[np.argmin(noise)])
    grid = np.logspace(np.log10(noise.min()), np.log10(noise.max()), 50)
    right.plot(grid, c / grid, "k--", linewidth=1, label=f"{c:.0f} / noise")
    right.set_yscale("log")
    capped = [three.epochs for v in three.lengths if v is None]
    right.set_ylim(0.5 * min(lengths.min(), c / noise.max()), 2.0 * max(lengths.max(), c / noise.min(), *capped))
    right.set_ylabel("plateau length  (epochs, log scale)")
    right.set_title(f"{three.iterations} iterations: log–log, slope -1 at small noise", fontsize=10)
    right.legend(loc="upper right", fontsize=9)
    return describe_figure(fig, (
        f"Two panels of plateau length (epochs until the loss is below {two.fraction:g} x its start) against init "
        f"noise. Left, on a log noise axis, {_sweep_words(two)}; the dashed line has the slope the Hessian predicts, "
        f"{slope:.2f} epochs per tenfold smaller noise. Right, on log–log axes, {_sweep_words(three)}; the dashed line "
        f"is {c:.0f} / noise, slope -1."
    ))


NOTEBOOK = "03_depth_and_the_saddle"


#: the epochs every run of the slider gets (enough for two iterations to
#: converge from the smallest noise, 1e-3, in 536 epochs)
EPOCHS = 600


@copied(maxsize=256)
def depth_run(init_noise: float = 0.1, iterations: int = 2) -> History:
    """The seed's run with its Init scaled to ``init_noise`` (float64, EPOCHS epochs)."""
    return plateau_run(init_noise, iterations, epochs=EPOCHS)


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "init_noise": widgets.FloatLogSlider(
            value=0.1, base=10, min=-3, max=0, step=0.25, description="init noise", style=style
        ),
        "iterations": widgets.IntSlider(value=2, min=1, max=4, description="iterations", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_depth(init_noise: float = 0.1, iterations: int = 2) -> Figure:
    """Loss curve of the seed's run for one init noise and depth, the plateau shaded.

    The plateau is ``plateau_length``: the epochs until the loss is 10 %
    below its start. One iteration has none: its gradient has norm 1 at every
    U (the loss is the norm of an affine function of U, and X = e1 has norm
    1), so the loss falls by lr every epoch from the first; nothing is shaded.
    """
    history = depth_run(float(init_noise), int(iterations))
    plateau = plateau_length(history)
    # A fixed layout: constrained layout would double the time of a redraw.
    fig, ax = plt.subplots(figsize=(6.0, 3.5))
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.9)
    plot_loss(history, ax=ax, title=f"init noise {init_noise:.4g}, {iterations} iteration{'s' if iterations > 1 else ''}: {history.status}")
    # Plain tick labels: the default 10^k labels go through mathtext, slow to redraw.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    if iterations == 1:
        text = "no plateau: the loss falls by lr every epoch"
    else:
        end = plateau if plateau is not None else history.stop_epoch
        # shaded and hatched: the plateau is marked by more than its colour
        ax.axvspan(0, max(end, 0.5), facecolor=to_rgba(PALETTE[1], 0.15), hatch="//",
                   hatchcolor=to_rgba(PALETTE[1], 0.5), linewidth=0)
        text = (f"plateau (hatched): {plateau} epochs" if plateau is not None
                else f"still on the plateau (hatched) after {len(history.losses)} epochs")
    ax.annotate(text, xy=(0.02, 0.06), xycoords="axes fraction", color=PLATEAU_TEXT)
    if iterations == 1:
        marked = text
    elif plateau is not None:
        marked = f"the hatched band marks the plateau, {plateau} epoch{'s' if plateau != 1 else ''}"
    else:
        marked = f"the hatched band marks the plateau: still on it after {len(history.losses)} epochs"
    return describe_figure(fig, (
        f"Loss curve of the seed's run on a log scale for init noise {rounded(init_noise, 2)} and {iterations} "
        f"iteration{'s' if iterations > 1 else ''}, epochs 0 to {history.stop_epoch}: {loss_summary(history)}; {marked}."
    ))


#: the plateau's note: the plateau's orange, darkened to 4.5:1 against white (text)
PLATEAU_TEXT = "#9C5F0F"
