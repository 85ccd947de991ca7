"""course_utils: the machinery of the course "A neural network is a sparse
matrix applied again and again".

Each notebook imports what it computes and draws from here; nothing happens
on import (no seeding, no rcParams, no warnings filters): a notebook calls
``course_utils.setup()`` once for rounded printing and figure defaults.

Notebook 01  SparseMatrix (S = Init + Ω ⊙ U), train, History, plot_loss, plot_matrices
Notebook 02  exact_solution, residual, padded_solution, normal_residual, row_residuals,
             example_data, solution_table, plot_norms, plot_sweep
Notebook 03  loss_at, gradient_at, hessian_at, critical_point, plot_saddle_slices,
             plateau_run, plateau_length, plateau_sweep, plot_plateau_sweep
Notebook 04  lift_solve, lifting_table, seed_family, family_table, routes, support,
             mask_without, subdiagonal_mask, loss_floor, mask_report, masked_run,
             plot_trajectory and state_labels (also 05, 06)
Notebook 05  per_row, RowActivation, Elementwise (cube, tanh, relu, identity), plot_elementwise,
             Injection,
             compose (a >> b), cube_solution, chain_mask, lower_mask, iterate_map,
             state_changes, settling_iteration, settling_table, train_on_seed, plot_drift
Notebook 06  distances, format_vector, plot_losses (interim losses: train(..., interim_weight=w))
Notebook 07  mlp_mask, random_mask, from_sequential, IteratedMap (storage in course_utils.storage:
             DenseMasked, BlockSparse, CSRSparse; experiments and figures in course_utils.digits)
"""

from .activations import (
    ELEMENTWISE,
    Activation,
    Compose,
    Elementwise,
    Injection,
    RowActivation,
    compose,
    cube,
    cube_solution,
    identity,
    per_row,
    plot_elementwise,
    relu,
    seed_inplace_cube,
    tanh,
)
from .analysis import (
    CriticalPoint,
    PlateauSweep,
    critical_point,
    gradient_at,
    hessian_at,
    loss_at,
    plateau_length,
    plateau_run,
    plateau_sweep,
    plot_plateau_sweep,
    plot_saddle_slices,
)
from .exact import exact_solution, residual
from .exact_family import example_data, normal_residual, padded_solution, row_residuals, solution_table, sweep_examples
from .explorers import REGISTRY as explorers
from .explorers import Explorer, load_all
from .figures_exact import plot_norms, plot_sweep
from .fixed_points import (
    SeedRun,
    chain_mask,
    distances,
    format_vector,
    iterate_map,
    lower_mask,
    plot_drift,
    plot_losses,
    random_chain,
    settling_iteration,
    settling_table,
    state_changes,
    train_on_seed,
)
from .mlp import IteratedMap, from_sequential, mlp_mask, random_mask
from .lifting import (
    Lifting,
    LossFloor,
    family_table,
    lift_solve,
    lifting_table,
    loss_floor,
    mask_report,
    mask_without,
    masked_run,
    routes,
    seed_family,
    subdiagonal_mask,
    support,
)
from .operator import SparseMatrix
from .plotting import plot_loss, plot_matrices
from .setup import setup
from .training import History, iterate, seed_data, seed_generator, train
from .trajectory import plot_trajectory, state_labels

load_all()

__version__ = "0.1.0"

__all__ = [
    # notebooks 03 and 04: the saddle, the plateau, lifting, trajectories
    "CriticalPoint",
    "Lifting",
    "LossFloor",
    "PlateauSweep",
    "critical_point",
    "family_table",
    "gradient_at",
    "hessian_at",
    "lift_solve",
    "lifting_table",
    "loss_at",
    "loss_floor",
    "mask_report",
    "mask_without",
    "masked_run",
    "plateau_length",
    "plateau_run",
    "plateau_sweep",
    "plot_plateau_sweep",
    "plot_saddle_slices",
    "plot_trajectory",
    "routes",
    "seed_family",
    "state_labels",
    "subdiagonal_mask",
    "support",
    # notebooks 05 and 06: activations, fixed points and drift
    "Activation",
    "Compose",
    "ELEMENTWISE",
    "Elementwise",
    "Injection",
    "RowActivation",
    "SeedRun",
    "chain_mask",
    "compose",
    "cube",
    "cube_solution",
    "distances",
    "format_vector",
    "identity",
    "iterate_map",
    "lower_mask",
    "per_row",
    "plot_drift",
    "plot_elementwise",
    "plot_losses",
    "random_chain",
    "relu",
    "seed_inplace_cube",
    "settling_iteration",
    "settling_table",
    "state_changes",
    "tanh",
    "train_on_seed",
    # notebook 07: an MLP is an iterated sparse matrix
    "IteratedMap",
    "from_sequential",
    "mlp_mask",
    "random_mask",
    "Explorer",
    "History",
    "SparseMatrix",
    "example_data",
    "exact_solution",
    "explorers",
    "iterate",
    "load_all",
    "normal_residual",
    "padded_solution",
    "plot_norms",
    "plot_sweep",
    "row_residuals",
    "solution_table",
    "sweep_examples",
    "plot_loss",
    "plot_matrices",
    "residual",
    "seed_data",
    "seed_generator",
    "setup",
    "train",
]
