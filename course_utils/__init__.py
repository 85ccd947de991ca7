"""course_utils: the machinery of the course "A neural network is a sparse
matrix applied again and again".

Each notebook imports what it computes and draws from here; nothing happens
on import (no seeding, no rcParams, no warnings filters): a notebook calls
``course_utils.setup()`` once for rounded printing and figure defaults.

Notebook 01  SparseMatrix (S = Init + Ω ⊙ U), train, History, plot_loss, plot_matrices
Notebook 02  exact_solution, residual
"""

from .exact import exact_solution, residual
from .explorers import REGISTRY as explorers
from .explorers import Explorer, load_all
from .operator import SparseMatrix
from .plotting import plot_loss, plot_matrices
from .setup import setup
from .training import History, iterate, seed_data, seed_generator, train

load_all()

__version__ = "0.1.0"

__all__ = [
    "Explorer",
    "History",
    "SparseMatrix",
    "exact_solution",
    "explorers",
    "iterate",
    "load_all",
    "plot_loss",
    "plot_matrices",
    "residual",
    "seed_data",
    "seed_generator",
    "setup",
    "train",
]
