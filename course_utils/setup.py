"""``setup()``: the display defaults a notebook asks for once, at its top."""

from __future__ import annotations

__all__ = ["setup"]


def setup(precision: int = 4) -> None:
    """Round printed tensors and arrays to ``precision`` decimals and set
    figure defaults. Call it once in a notebook; importing ``course_utils``
    changes nothing by itself."""
    import matplotlib as mpl
    import numpy as np
    import torch

    from ._checks import check_int

    precision = check_int(precision, "precision", minimum=0, maximum=16)
    torch.set_printoptions(precision=precision, sci_mode=False)
    np.set_printoptions(precision=precision, suppress=True)
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )
