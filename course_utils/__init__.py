"""course_utils: the core of the course "A neural network is a sparse matrix
applied again and again".

The core is a handful of small modules, each readable in one sitting:

    operator      SparseMatrix, the operator S = Init + Ω ⊙ U
    training      train (the seed's SGD loop), History, iterate
    exact         exact_solution, residual, lift_solve (exact U of the iterated map)
    activations   elementwise and per-row activations, input injection, composition
    storage       dense, block and CSR storage of a large masked operator
    mlp           IteratedMap, from_sequential, mlp_mask, random_mask
    recurrent     RecurrentMap, from_rnn (an RNN: the same map, its input injected)
    data          the seed's data, example data, scikit-learn's digits
    plotting      the figures more than one notebook draws; setup(), the display defaults

Each notebook's own experiments, tables, one-off figures and sliders live in
``course_utils.lessons`` (one module per notebook), and the exercises'
checker in ``course_utils.exercises``; neither is imported here. Importing
this package does nothing but import the core: no seeding, no rcParams, no
widgets; a notebook calls ``course_utils.setup()`` once.
"""

from .activations import Injection, RowActivation, cube, per_row
from .data import digits_data, example_data, seed_data, seed_generator
from .exact import Lifting, exact_solution, lift_solve, residual
from .mlp import IteratedMap, from_sequential, mlp_mask, random_mask
from .operator import SparseMatrix
from .recurrent import RecurrentMap, from_rnn
from .plotting import (
    plot_loss,
    plot_losses,
    plot_matrices,
    plot_trajectory,
    setup,
    state_labels,
)
from .training import History, iterate, train

__version__ = "0.1.0"

__all__ = [
    # the operator and its training (notebook 01)
    "SparseMatrix",
    "History",
    "iterate",
    "train",
    # exact solutions (notebooks 02 and 04)
    "Lifting",
    "exact_solution",
    "lift_solve",
    "residual",
    # activations (notebook 05)
    "Injection",
    "RowActivation",
    "cube",
    "per_row",
    # an MLP as an iterated sparse matrix (notebook 07)
    "IteratedMap",
    "from_sequential",
    "mlp_mask",
    "random_mask",
    # a recurrent network is the same matrix (notebook 08)
    "RecurrentMap",
    "from_rnn",
    # data
    "digits_data",
    "example_data",
    "seed_data",
    "seed_generator",
    # figures
    "plot_loss",
    "plot_losses",
    "plot_matrices",
    "plot_trajectory",
    "state_labels",
    "setup",
]
