"""Sliders of notebook 02: the exact U as examples are added and Y gets noisy."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from .._checks import check_int, check_real
from ..exact_family import sweep_examples
from ..figures_exact import plot_sweep
from . import explorer

__all__ = ["explore_examples", "M_MAX"]

NOTEBOOK = "02_exact_inverse"

#: the largest number of examples the slider offers (n = 3)
M_MAX = 8


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "m": widgets.IntSlider(value=3, min=1, max=M_MAX, description="examples m", style=style),
        "noise": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="noise in Y", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_examples(m: int = 3, noise: float = 0.0) -> Figure:
    """Residual and ``||U||_F`` of the exact U for m = 1 .. 8 examples of
    ``Y = A X + noise · E`` (n = 3), the bars of ``m`` examples highlighted.

    Args:
        m: number of examples (columns of X) to highlight.
        noise: scale of the noise added to Y.
    """
    m = check_int(m, "m", minimum=1, maximum=M_MAX)
    noise = check_real(noise, "noise", minimum=0.0)
    return plot_sweep(sweep_examples(round(noise, 6), M_MAX), m)
