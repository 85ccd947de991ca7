"""Figures of notebooks 01 and 02: what they draw, and that odd histories draw too."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import course_utils as cu
from course_utils.lessons import exact_inverse as exact_inverse
from course_utils.lessons.exact_inverse import explore_examples
from course_utils.lessons.linear_operator import explore_training
from course_utils.plotting import LOG_FLOOR


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def seed_history(**settings) -> cu.History:
    X, Y = cu.seed_data()
    return cu.train(cu.SparseMatrix(generator=cu.seed_generator()), X, Y, **settings)


def single_points(ax) -> list[tuple[float, float]]:
    return [(float(l.get_xdata()[0]), float(l.get_ydata()[0])) for l in ax.lines if len(l.get_xdata()) == 1]


# -------------------------------------------------------------------- plot_loss
def test_plot_loss_converged() -> None:
    history = seed_history()
    fig = cu.plot_loss(history)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_ydata(), history.losses)
    assert "converged at epoch 206" in texts(fig)
    assert (206.0, pytest.approx(history.final_loss)) in single_points(ax)
    assert ax.get_xlim()[1] >= 206


def test_plot_loss_epochs_used_up() -> None:
    fig = cu.plot_loss(seed_history(epochs=30), title="thirty")
    assert "stopped at epoch 29" in texts(fig) and "thirty" in texts(fig)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_plot_loss_diverged_history(bad: float) -> None:
    history = cu.History(losses=[2.0, 3.0, 50.0, bad], diverged=True)
    fig = cu.plot_loss(history)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 3.0, 50.0])  # the finite part
    assert "diverged at epoch 3" in texts(fig)
    assert any(l.get_marker() == "x" and l.get_xdata()[0] == 2 for l in ax.lines)  # last finite loss
    fig.canvas.draw()  # renders without complaint


def test_plot_loss_diverged_at_once() -> None:
    fig = cu.plot_loss(cu.History(losses=[math.nan], diverged=True))
    assert "diverged at epoch 0" in texts(fig)
    fig.canvas.draw()


def test_plot_loss_real_divergence() -> None:
    history = seed_history(iterations=5, lr=1.0)
    assert history.diverged
    fig = cu.plot_loss(history)
    assert f"diverged at epoch {history.stop_epoch}" in texts(fig)
    fig.canvas.draw()


def test_plot_loss_zero_loss_on_log_axis() -> None:
    history = cu.History(losses=[2.0, 1.0, 0.0], converged=True, tol=0.0)
    fig = cu.plot_loss(history)
    assert min(fig.axes[0].lines[0].get_ydata()) > 0  # floored, not lost
    fig.canvas.draw()


def test_plot_loss_on_given_axes() -> None:
    fig, ax = plt.subplots()
    cu.plot_loss(seed_history(), ax=ax, label="a")
    assert cu.plot_loss(seed_history(lr=0.02), ax=ax, label="b") is fig
    assert ax.get_legend() is not None


# ---------------------------------------------------------------- plot_matrices
def test_plot_matrices_of_an_operator() -> None:
    g = torch.Generator().manual_seed(0)
    S = cu.SparseMatrix(Init=torch.rand(3, 3, generator=g), U=torch.randn(3, 3, generator=g),
                        Omega=torch.tril(torch.ones(3, 3)))
    fig = cu.plot_matrices(S)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["Init", "Ω", "U", "S"]
    expected = [S.Init, S.Omega, S.U.detach(), S.Init + S.Omega * S.U.detach()]
    for ax, M in zip(fig.axes, expected):
        np.testing.assert_allclose(ax.images[0].get_array(), M.numpy(), rtol=1e-6)
        assert len(ax.texts) == 9
        assert ax.texts[0].get_text() == f"{M[0, 0].item():.2f}"


def test_plot_matrices_mapping_large_and_digits() -> None:
    fig = cu.plot_matrices({"A": np.eye(10), "B": [[1.0, 2.0], [3.0, 4.0]]}, digits=3, title="t")
    assert [ax.get_title() for ax in fig.axes] == ["A", "B"]
    assert all(not ax.texts for ax in fig.axes)  # 10 x 10: not annotated by default
    fig = cu.plot_matrices({"B": [[1.0, 2.0], [3.0, 4.0]]}, digits=3)
    assert fig.axes[0].texts[0].get_text() == "1.000"


def test_plot_matrices_non_finite_values_draw() -> None:
    """inf and nan are drawn as themselves: the image holds the matrix, the
    colour scale spans the largest finite |entry| (an inf would blank every
    other colour), and the cells read inf and nan."""
    M = np.array([[math.inf, 1.0], [math.nan, -2.0]])
    fig = cu.plot_matrices({"M": M})
    ax = fig.axes[0]
    image = ax.images[0]
    drawn = image.get_array()
    np.testing.assert_array_equal(np.ma.getdata(drawn), M)
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn), ~np.isfinite(M))  # no colour for inf and nan
    largest = np.abs(M[np.isfinite(M)]).max()
    assert image.get_clim() == (-largest, largest)
    assert [t.get_text() for t in ax.texts] == ["inf", "1.00", "nan", "-2.00"]
    fig.canvas.draw()


# ------------------------------------------------------------------ plot_losses
def test_plot_losses_draws_each_run_and_marks_its_end() -> None:
    """Each curve is the run's finite losses (0 floored for the log axis),
    ended by a dot (converged), a square (epochs used up) or a red cross at
    the last finite loss (diverged); the legend gives the stop."""
    converged, used_up = seed_history(), seed_history(epochs=30)
    runs = {"seed": converged, "thirty": used_up,
            "blew up": cu.History(losses=[2.0, 0.0, 5.0, math.nan], diverged=True)}
    ax = cu.plot_losses(runs).axes[0]
    curves = [line for line in ax.lines if not line.get_label().startswith("_")]  # those in the legend
    np.testing.assert_allclose(curves[0].get_ydata(), converged.losses)
    np.testing.assert_allclose(curves[1].get_ydata(), used_up.losses)
    np.testing.assert_allclose(curves[2].get_ydata(), [2.0, LOG_FLOOR, 5.0])
    np.testing.assert_array_equal(curves[2].get_xdata(), [0, 1, 2])
    ends = [(line.get_marker(), float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in ax.lines
            if len(line.get_xdata()) == 1]
    assert ends == [("o", 206.0, pytest.approx(converged.losses[206])), ("s", 29.0, pytest.approx(used_up.losses[29])),
                    ("x", 2.0, 5.0)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "seed: converged at 206", "thirty: stopped at 29", "blew up: diverged at 3"]


# ------------------------------------------------------------ figures of notebook 02
def test_plot_norms_bars_and_highlight() -> None:
    X, Y = cu.seed_data(torch.float64)
    members = {"a": cu.exact_solution(X, Y) + torch.eye(3, dtype=torch.float64), "min": cu.exact_solution(X, Y)}
    fig = exact_inverse.plot_norms(members)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, [np.linalg.norm(U.numpy()) for U in members.values()])
    colours = [p.get_facecolor() for p in ax.patches]
    assert colours[0] != colours[1]  # the smallest stands out
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "min"]
    with pytest.raises(ValueError, match="highlight"):
        exact_inverse.plot_norms(members, highlight="nope")


def test_plot_sweep_draws_the_sweep() -> None:
    sweep = exact_inverse.sweep_examples(0.3)
    fig = exact_inverse.plot_sweep(sweep, 5)
    ax = fig.axes[0]
    ys = [tuple(np.round(l.get_ydata(), 12)) for l in ax.lines if len(l.get_xdata()) == len(sweep.ms)]
    assert tuple(np.round(sweep.norms, 12)) in ys and tuple(np.round(sweep.residuals, 12)) in ys
    span = ax.patches[0]  # the highlighted column is centred on m = 5
    assert span.get_x() + span.get_width() / 2 == pytest.approx(5)
    assert "m = 5" in ax.get_title(loc="left")
    with pytest.raises(ValueError, match="m"):
        exact_inverse.plot_sweep(sweep, 0)


# ------------------------------------------------------------------ the sliders
def test_training_explorer_draws_a_divergence() -> None:
    fig = explore_training.figure(lr=1.0, iterations=5, init_noise=0.5, epochs=2001)
    assert any(t.startswith("diverged at epoch") for t in texts(fig))
    fig.canvas.draw()


def test_training_explorer_default_is_the_seed_run() -> None:
    fig = explore_training.figure()
    assert "converged at epoch 206" in texts(fig)


def test_examples_explorer_extremes() -> None:
    for m, noise in [(1, 0.0), (8, 1.0), (3, 0.5)]:
        fig = explore_examples.figure(m=m, noise=noise)
        assert f"m = {m}" in fig.axes[0].get_title(loc="left")
        fig.canvas.draw()
        plt.close(fig)
