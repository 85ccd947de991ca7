"""One module per notebook: its experiments, tables, one-off figures and sliders.

    linear_operator                    notebook 01
    exact_inverse                      notebook 02
    depth_and_the_saddle               notebook 03
    iterated_exact                     notebook 04
    nonlinear_activations              notebook 05
    interim_losses_and_fixed_points    notebook 06
    mlp_as_sparse_map                  notebook 07
    recurrent_is_the_same_matrix       notebook 08

A notebook imports the core as ``cu`` and its own lesson as ``lesson``::

    import course_utils as cu
    from course_utils.lessons import exact_inverse as lesson

Importing this package imports none of the lessons (they pull in ipywidgets
and matplotlib); ``explorers()`` imports them all and returns their sliders.
"""

from __future__ import annotations

import importlib

__all__ = ["LESSONS", "explorers"]

#: the lesson modules in course order
LESSONS = (
    "linear_operator",
    "exact_inverse",
    "depth_and_the_saddle",
    "iterated_exact",
    "nonlinear_activations",
    "interim_losses_and_fixed_points",
    "mlp_as_sparse_map",
    "recurrent_is_the_same_matrix",
)


def explorers() -> dict:
    """Every slider of the course, by name, in course order (imports every lesson)."""
    from .explorer import Explorer

    found = {}
    for name in LESSONS:
        module = importlib.import_module(f"{__name__}.{name}")
        for value in vars(module).values():
            if isinstance(value, Explorer) and value.name not in found:
                found[value.name] = value
    return found
