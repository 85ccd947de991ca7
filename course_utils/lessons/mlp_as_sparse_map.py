"""Notebook 07's experiments and figures: the MLP as an iterated map, trained
on scikit-learn's handwritten digits (shipped with the package, no download).

Training is full-batch Adam on the cross-entropy of the output slot, in
float64 by default, every random draw from an explicit ``torch.Generator``:
the printed accuracies do not depend on the number of threads.

``explore_mask_density`` is the notebook's slider: a random mask's density and
the hidden width against test accuracy and time per training step.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn
from torch.utils.benchmark import Timer

from .._checks import check_int, check_real, describe
from ..data import digits_data
from ..mlp import IteratedMap, mlp_mask, random_mask
from ..plotting import describe_figure, draw_mask, new_axes, plot_slots, slot_centres, slot_edges, subscript
from ..storage import CSR_CROSSOVER, check_sizes, slot_slices
from .cache import copied
from .explorer import explorer

__all__ = [
    "accuracy",
    "accuracy_table",
    "compare_masks",
    "explore_mask_density",
    "mask_run",
    "max_difference",
    "memory_table",
    "plot_accuracies",
    "plot_mask",
    "plot_operator",
    "plot_mask_pair",
    "plot_states",
    "plot_step_times",
    "settled_slots",
    "single_thread",
    "slot_names",
    "step_times",
    "train_and_test",
    "training_digits",
    "train_map",
]


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, and restore the count after.

    The nets of notebook 07 are small: a second thread brings little, and on
    a busy machine waiting for it can cost many times the work itself.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_model(model: Any, name: str) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (an IteratedMap or a model), got {describe(model)}")
    return model


def _check_batch(x: Any, y: Any = None) -> None:
    """x: images as rows (m, n0), floating; y: their m integer labels."""
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or not x.is_floating_point():
        raise TypeError(f"x must be a 2-D floating tensor of images as rows (m, n0), got {describe(x)}")
    if y is None:
        return
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.is_floating_point() or y.is_complex():
        raise TypeError(f"y must be a 1-D tensor of integer labels, one per row of x, got {describe(y)}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must hold one label per row of x ({x.shape[0]}), got {y.shape[0]} labels")


def _accuracies(label: Any, values: Any) -> np.ndarray:
    """One mask's accuracies as a NumPy array of at least one number."""
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        array = np.empty(0)
    if isinstance(values, (str, bytes)) or array.size == 0:
        raise TypeError(f"results[{label!r}] must be a non-empty list of accuracies, got {describe(values)}")
    return array


def _check_results(results: Any) -> dict[str, np.ndarray]:
    """label -> accuracies, as NumPy arrays (at least one number each)."""
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"results must be a non-empty dict label -> accuracies (what compare_masks returns), "
                        f"got {describe(results)}")
    return {str(label): _accuracies(label, values) for label, values in results.items()}


def _check_seeds(seeds: Any) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise TypeError(f"seeds must be a non-empty list of seeds such as (0, 1, 2), got {describe(seeds)}")
    return [check_int(s, "seeds[]", minimum=0) for s in seeds]


def train_map(imap: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int = 100, lr: float = 0.02,
              schedule: str = "full") -> list[float]:
    """Train ``imap`` (U and biases) with full-batch Adam on the cross-entropy.

    Args:
        imap: an ``IteratedMap`` (or any module taking rows x).
        x, y: images as rows (m, n0) and their labels (m,).
        epochs: Adam steps (>= 1).
        lr: Adam's learning rate (> 0).
        schedule: "full" or "skip" (``IteratedMap.forward``).

    Returns the loss before each step.
    """
    _check_model(imap, "imap")
    _check_batch(x, y)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    kwargs = {"schedule": schedule} if isinstance(imap, IteratedMap) else {}
    optimiser = torch.optim.Adam(imap.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(imap(x, **kwargs), y)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of the rows of x whose largest output is the label y."""
    _check_model(model, "model")
    _check_batch(x, y)
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).double().mean().item())


def max_difference(imap: nn.Module, model: nn.Module, x: torch.Tensor) -> float:
    """max |imap(x) - model(x)| over the batch x (rows)."""
    _check_model(imap, "imap")
    _check_model(model, "model")
    _check_batch(x)
    with torch.no_grad():
        return float((imap(x) - model(x)).abs().max().item())


def compare_masks(sizes: Sequence[int] = (64, 32, 32, 10), seeds: Sequence[int] = (0, 1, 2), *, epochs: int = 60,
                  lr: float = 0.02, dtype: torch.dtype = torch.float64) -> dict[str, list[float]]:
    """Test accuracy on the digits of the MLP mask and of random masks with as
    many trainable entries, one training run per seed (notebook 07).

    Seed s draws the starting U (both masks) and the random mask from
    ``torch.Generator().manual_seed(s)``; both maps iterate len(sizes) - 1 times.
    Runs on one thread (``single_thread``).

    Returns ``{"MLP mask": [accuracy per seed], "random mask": [...]}``.
    """
    sizes = check_sizes(sizes)
    entries = int(mlp_mask(sizes).sum().item())

    def maps(seed: int) -> dict[str, nn.Module]:
        mlp, rnd = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        return {"MLP mask": IteratedMap(sizes, mlp_mask(sizes), dtype=dtype, generator=mlp),
                "random mask": IteratedMap(sizes, random_mask(sizes, entries, rnd), dtype=dtype, generator=rnd)}

    runs = train_and_test(maps, seeds, training_digits(dtype=dtype), epochs=epochs, lr=lr)
    return {label: [accuracy_ for _, accuracy_ in trained] for label, trained in runs.items()}


def training_digits(images: int | None = None, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, ...]:
    """``digits_data(dtype)`` with its first ``images`` training images only
    (default all): ``x_train, y_train, x_test, y_test`` (notebooks 07 and 08;
    cached, the tensors shared)."""
    if images is not None:
        images = check_int(images, "images", minimum=1)
    return _training_digits(images, dtype)


@copied(maxsize=8)
def _training_digits(images: int | None, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    x_train, y_train, x_test, y_test = digits_data(dtype)
    if images is not None and images > len(y_train):
        raise ValueError(f"images must be at most the {len(y_train)} training images, got {images}")
    return x_train[:images], y_train[:images], x_test, y_test


def train_and_test(make_maps: Callable[[int], Mapping[str, nn.Module]], seeds: Sequence[int],
                   data: Sequence[torch.Tensor], *, epochs: int, lr: float) -> dict[str, list[tuple[nn.Module, float]]]:
    """The comparisons of notebooks 07 and 08: for each seed, every map
    ``make_maps(seed)`` returns (label -> map), trained by ``train_map`` (Adam,
    ``epochs`` full-batch steps, ``lr``) and tested, on one thread
    (``single_thread``).

    Args:
        make_maps: seed -> {label: untrained map}, its random draws made from that seed.
        seeds: one training run of every map per seed.
        data: (x_train, y_train, x_test, y_test), images as rows (``training_digits``).

    Returns ``{label: [(trained map, test accuracy), one per seed]}``.
    """
    seeds = _check_seeds(seeds)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    x_train, y_train, x_test, y_test = data
    runs: dict[str, list[tuple[nn.Module, float]]] = {}
    with single_thread():
        for seed in seeds:
            for label, model in make_maps(seed).items():
                train_map(model, x_train, y_train, epochs=epochs, lr=lr)
                runs.setdefault(label, []).append((model, accuracy(model, x_test, y_test)))
    return runs


#: the columns a row of notebook 08's ``compare_masks`` adds: header, width, cell
ROW_COLUMNS = (
    ("S", 9, lambda row: f"{row['n']} x {row['n']}"),
    ("entries", 8, lambda row: str(row["entries"])),
    ("iterations", 11, lambda row: str(row["iterations"])),
)


def accuracy_table(results: Mapping[str, Any], digits: int = 3) -> str:
    """Test accuracies as a text table, one line per mask: the mean ± std
    over the runs and the number of runs (notebooks 07 and 08).

    Args:
        results: label -> accuracies (notebook 07's ``compare_masks``), or
            label -> row ``{"n", "entries", "iterations", "accuracies"}``
            (notebook 08's), whose size of S, trainable entries and iterations
            get columns of their own.
        digits: decimals of the accuracies.
    """
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"results must be a non-empty dict label -> accuracies (what compare_masks returns), "
                        f"got {describe(results)}")
    digits = check_int(digits, "digits", minimum=0, maximum=12)
    rows = {}
    for label, row in results.items():
        if isinstance(row, Mapping):
            if not {"n", "entries", "iterations", "accuracies"} <= set(row):
                raise TypeError(f"results[{label!r}] must be a row of compare_masks, got {describe(row)}")
            rows[str(label)] = ([cell(row) for _, _, cell in ROW_COLUMNS], _accuracies(label, row["accuracies"]))
        else:
            rows[str(label)] = ([], _accuracies(label, row))
    columns = ROW_COLUMNS if any(cells for cells, _ in rows.values()) else ()
    if any(len(cells) != len(columns) for cells, _ in rows.values()):
        raise TypeError("results must be all lists of accuracies or all rows of compare_masks, not a mix")
    width = max(len(label) for label in [*rows, "mask"]) + 1

    def line(label: str, cells: Sequence[str], accuracies: str) -> str:
        middle = "".join(f"{cell:>{size}} " for cell, (_, size, _) in zip(cells, columns))
        return f"{label:<{width}} {middle}{'  ' if columns else ''}{accuracies}"

    lines = [line("mask", [header for header, _, _ in columns], "test accuracy (mean ± std)  runs")]
    for label, (cells, values) in rows.items():
        std = values.std(ddof=1) if len(values) > 1 else 0.0
        lines.append(line(label, cells, f"{values.mean():.{digits}f} ± {std:.{digits}f}{'':14}{len(values)}"))
    return "\n".join(lines)


# ------------------------------------------------------------------ figures' descriptions and block labels
def _as_array(mask: Any) -> np.ndarray:
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().double().numpy()
    return np.asarray(mask, dtype=float)


def _block_counts(mask: Any, sizes: Sequence[int], names: Sequence[str]) -> list[tuple[int, int, int]]:
    """(i, j, entries) of each block of ``mask`` that holds entries (block i←j:
    rows of slot i, columns of slot j), row by row."""
    mask, slots = _as_array(mask), slot_slices(sizes)
    return [(i, j, int(np.count_nonzero(mask[rows, cols]))) for i, rows in enumerate(slots)
            for j, cols in enumerate(slots) if np.count_nonzero(mask[rows, cols])]


def _mask_words(mask: Any, sizes: Sequence[int], names: Sequence[str]) -> str:
    """"1,440 of 11,236 entries (12.8%), in the blocks h1←x (1,024), …": a mask in
    words for a figure's description (the largest three blocks when there are more than four)."""
    mask = _as_array(mask)
    total = int(np.count_nonzero(mask))
    text = f"{total:,} of {mask.size:,} entries ({total / mask.size:.1%})"
    blocks = [(f"{names[i]}←{names[j]}" + (" (diagonal)" if i == j else ""), count)
              for i, j, count in _block_counts(mask, sizes, names)]
    if len(blocks) <= 4:
        return text + (", in the blocks " + ", ".join(f"{name} {count:,}" for name, count in blocks) if blocks else "")
    largest = sorted(blocks, key=lambda block: -block[1])[:3]
    return (text + f", spread over {len(blocks)} of the {len(sizes) ** 2} blocks, the most in "
            + ", ".join(f"{name} {count:,}" for name, count in largest))


def _label_blocks(ax: Axes, mask: Any, sizes: Sequence[int], names: Sequence[str]) -> None:
    """Name each block of the mask that holds entries ("h←x", "h←h", …) at its
    centre: the blocks told apart by text, not only by the colours of ``draw_mask``."""
    centres = slot_centres(sizes)
    for i, j, _ in _block_counts(mask, sizes, names):
        ax.text(centres[j], centres[i], f"{names[i]}←{names[j]}", ha="center", va="center", fontsize=8,
                fontweight="bold", bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                         "alpha": 0.8})


def _operator_words(imap: Any, names: Sequence[str], block_label: Callable[[int, int], str], what: str) -> str:
    """The description of ``plot_slots``' three panels of ``imap`` (notebooks 07 and 08)."""
    sizes = list(imap.sizes)
    with torch.no_grad():
        Init, Omega, S = (t.detach().cpu().double().numpy() for t in (imap.Init, imap.Omega, imap.matrix))
    slots = slot_slices(sizes)
    identity = [names[i] for i, rows in enumerate(slots) if Init[rows, rows].any()]
    blocks = []
    for i, j, count in _block_counts(Omega, sizes, names):
        label, arrow = block_label(i, j), f"{names[i]}←{names[j]}"
        blocks.append(f"{label}{'' if label == arrow else f' ({arrow})'} {count:,}")
    n = sum(sizes)
    entries = int(np.count_nonzero(Omega))
    return (f"Three heatmaps of {what}, its state cut into the slots {', '.join(names)} of sizes {sizes} (n = {n}), "
            f"slot borders drawn, rows the slot written, columns the slot read. Init: "
            + (f"the identity block I on {', '.join(identity)}" if identity else "zero")
            + f"; Ω, black on white: {entries:,} of {n * n:,} entries"
            + (f", in the blocks {', '.join(blocks)}" if blocks else "")
            + f"; S = Init + Ω ⊙ U, red positive and blue negative, entries from {S.min():.2f} to {S.max():.2f}.")


def plot_accuracies(results: Mapping[str, Sequence[float]], ax: Axes | None = None, title: str | None = None) -> Figure:
    """One dot per run and the mean ± std bar, per mask."""
    results = _check_results(results)
    ax = new_axes(ax, figsize=(5.0, 3.2))
    for k, (label, values) in enumerate(results.items()):
        std = values.std(ddof=1) if len(values) > 1 else 0.0
        ax.errorbar([k], [values.mean()], yerr=[std], fmt="s", markersize=9, capsize=8, color=f"C{k}")
        ax.plot(np.full(len(values), k + 0.15), values, "o", color=f"C{k}", alpha=0.5)
    ax.set_xticks(range(len(results)), list(results))
    ax.set_xlim(-0.6, len(results) - 0.4)
    ax.set_ylabel("test accuracy")
    ax.set_title(title or "digits: same number of trainable entries")
    words = []
    for label, values in results.items():
        std = values.std(ddof=1) if len(values) > 1 else 0.0
        words.append(f"{label} {values.mean():.3f} ± {std:.3f} over {len(values)} run{'s' if len(values) != 1 else ''}")
    return describe_figure(ax.figure, (
        f"Test accuracy per mask ({title or 'digits: same number of trainable entries'}), one column each, named "
        f"below it: the runs as dots, their mean as a square with a ± one standard deviation bar. Mean ± std: "
        + "; ".join(words) + "."))


def plot_operator(imap: IteratedMap) -> Figure:
    """Init, Ω and S = Init + Ω ⊙ U of an MLP's iterated map, its slots x, h₁, …, y
    drawn and its blocks labelled W₁, W₂, … (layer l: rows of slot l, columns of
    slot l - 1), I for the input's identity in Init (notebook 07).

    Args:
        imap: an ``IteratedMap`` (e.g. ``from_sequential(model)``).
    """
    if not isinstance(imap, IteratedMap):
        raise TypeError(f"imap must be a course_utils.IteratedMap, got {describe(imap)}")
    names = [subscript(name) for name in slot_names(imap.sizes)]
    label = lambda i, j: subscript(f"W{i}") if j == i - 1 else f"({i},{j})"  # noqa: E731
    fig = plot_slots(imap, names, label)
    return describe_figure(fig, _operator_words(imap, names, label,
                                                f"the iterated map of an MLP with {len(names) - 1} layers"))


def plot_mask(mask: Any, sizes: Sequence[int], ax: Axes | None = None, title: str = "Ω") -> Figure:
    """The mask as a black-and-white image with the slots' borders drawn."""
    sizes = check_sizes(sizes)
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask, dtype=float)
    ax = draw_mask(new_axes(ax, figsize=(3.4, 3.4)), mask, sizes, slot_names(sizes))
    ax.set_title(f"{title}: {int(mask.sum())} entries of {mask.size}")
    return describe_figure(ax.figure, (
        f"The mask {title} of sizes {sizes} as an image, an entry black, none white, the slots "
        f"{', '.join(slot_names(sizes))} bordered: {_mask_words(mask, sizes, slot_names(sizes))}."))


def plot_states(states: Sequence[torch.Tensor], sizes: Sequence[int], title: str | None = None) -> Figure:
    """The states z_0, z_1, … side by side (rows: the slots; columns: examples).

    A slot still at zero is white; the slots' borders are drawn.
    """
    sizes = check_sizes(sizes)
    if not states:
        raise ValueError("states must hold at least one state")
    arrays = [s.detach().cpu().numpy() for s in states]
    bound = max(float(np.abs(a).max()) for a in arrays) or 1.0
    fig, axes = plt.subplots(1, len(arrays), figsize=(1.3 * len(arrays) + 0.8, 3.4), layout="constrained",
                             sharey=True, squeeze=False)
    for k, (ax, a) in enumerate(zip(axes[0], arrays)):
        ax.imshow(a, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto", interpolation="nearest")
        for edge in slot_edges(sizes):
            ax.axhline(edge, color="black", linewidth=0.6)
        ax.set_title(f"z_{k}")
        ax.set_xticks([])
        ax.grid(False)
    axes[0][0].set_yticks(slot_centres(sizes), slot_names(sizes))
    if title:
        fig.suptitle(title)
    names = slot_names(sizes)
    filled = []
    for name, rows in zip(names, slot_slices(sizes)):
        k = next((k for k, a in enumerate(arrays) if np.abs(a[rows]).max() > 0), None)
        filled.append(f"{name} from z_{k}" if k is not None else f"{name} never")
    last = states[-1].detach()
    settle = len(states) - 1
    while settle > 0 and torch.allclose(states[settle - 1].detach(), last, atol=1e-6, rtol=0):
        settle -= 1
    return describe_figure(fig, (
        f"Heatmaps of the states z_0 to z_{len(arrays) - 1} side by side{f' ({title})' if title else ''}: "
        f"{arrays[0].shape[1]} examples as columns, the rows cut into the slots {', '.join(names)}, red positive, "
        f"blue negative, a slot still at zero white. A slot is nonzero: {', '.join(filled)}. "
        + (f"From z_{settle} on the state no longer changes (a fixed point)." if settle < len(states) - 1
           else f"The state still changes at z_{len(states) - 1}.")))


def slot_names(sizes: Sequence[int], readout: bool = True, numbered: bool = True) -> list[str]:
    """The names of the slots (notebooks 07 and 08): x, the input; h1, h2, …,
    the hidden slots; y, the last slot, with ``readout`` (without, the last
    slot is the last hidden one, as in a stack of recurrent layers).

    Args:
        sizes: the slots' sizes.
        readout: the last slot is the read-out y.
        numbered: a lone hidden slot is h1 too (an MLP's layers are numbered:
            W1 writes h1); False names it h (an Elman layer's W_ih, W_hh).
    """
    sizes = check_sizes(sizes)
    hidden = len(sizes) - 1 - int(bool(readout))
    names = ["h"] if hidden == 1 and not numbered else [f"h{i}" for i in range(1, hidden + 1)]
    return ["x"] + names + (["y"] if readout else [])


def settled_slots(states: Sequence[torch.Tensor], sizes: Sequence[int], atol: float = 1e-6) -> str:
    """One line per state z_k: the slots that already hold their final value
    (equal, to ``atol``, to the same slot of the last state)."""
    sizes = check_sizes(sizes)
    names = slot_names(sizes)
    last = states[-1]
    lines = []
    for k, state in enumerate(states):
        done = [name for name, rows in zip(names, slot_slices(sizes))
                if torch.allclose(state[rows], last[rows], atol=atol, rtol=0)]
        line = f"z_{k}: " + " ".join(done)
        if k:
            line += f"{'':{max(0, 20 - len(line))}}changed since z_{k - 1}: {bool((state != states[k - 1]).any())}"
        lines.append(line)
    return "\n".join(lines)


def plot_mask_pair(sizes: Sequence[int] = (64, 16, 16, 10), seed: int = 0) -> Figure:
    """The MLP mask of ``sizes`` beside a random mask with as many entries
    (the random one drawn as ``compare_masks`` draws it for ``seed``)."""
    sizes = check_sizes(sizes)
    mask = mlp_mask(sizes)
    other = random_mask(sizes, int(mask.sum().item()), torch.Generator().manual_seed(int(seed)))
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 3.5), layout="constrained")
    plot_mask(mask, sizes, ax=axes[0], title="MLP mask")
    plot_mask(other, sizes, ax=axes[1], title="random mask")
    names = slot_names(sizes)
    return describe_figure(fig, (
        f"Two masks of sizes {sizes} as images, an entry black, none white, the slots {', '.join(names)} bordered. "
        f"Left, the MLP mask: {_mask_words(mask, sizes, names)}. Right, a random mask with as many entries "
        f"(seed {int(seed)}): {_mask_words(other, sizes, names)}."))


def memory_table(sizes: Sequence[int] = (784, 256, 256, 10), dtype: torch.dtype = torch.float32) -> str:
    """Bytes of an MLP's S in each storage, measured (notebook 07).

    For each kind ("dense", "blocks", "csr") an ``IteratedMap`` with the MLP
    mask of ``sizes`` is built and the bytes of every tensor it owns
    (parameters and buffers, the biases included) are added up. Each line also
    says what those tensors are: how many n x n tensors, how many weight
    entries, or, for CSR, the per-entry arrays (values and int64 indices) and
    the arrays of n + 1 row offsets.
    """
    sizes = check_sizes(sizes)
    n = sum(sizes)
    entries = int(mlp_mask(sizes).sum().item())
    lines = [f"sizes {list(sizes)}: n = {n}, n² = {n * n}, trainable entries = {entries} ({entries / n / n:.1%})"]
    for kind in ("dense", "blocks", "csr"):
        imap = IteratedMap(sizes, mlp_mask(sizes), kind=kind, dtype=dtype, generator=torch.Generator().manual_seed(0))
        tensors = [t for t in (*imap.parameters(), *imap.buffers()) if t is not None]
        total = sum(t.numel() * t.element_size() for t in tensors)
        square = [t for t in tensors if t.numel() == n * n]
        per_entry = [t for t in tensors if t.numel() == entries]
        offsets = [t for t in tensors if t.numel() == n + 1]
        if kind == "dense":
            what = f"{len(square)} tensors of n² entries"
        elif kind == "blocks":
            what = f"the weights only, {sum(t.numel() for t in tensors if t.is_floating_point()) - (n - sizes[0])} entries"
        else:
            ints = [t for t in per_entry if not t.is_floating_point()]
            index_bytes = sum(t.numel() * t.element_size() for t in ints)
            value_bytes = sum(t.numel() * t.element_size() for t in per_entry if t.is_floating_point())
            offset_bytes = sum(t.numel() * t.element_size() for t in offsets)
            what = (f"values {value_bytes / 2**20:.2f} MB + {len(ints)} int64 index arrays of {entries} entries "
                    f"{index_bytes / 2**20:.2f} MB + {len(offsets)} offset arrays of n + 1 {offset_bytes / 2**20:.2f} MB")
        lines.append(f"  {kind:<7} {total / 2**20:7.2f} MB   {what}")
    return "\n".join(lines)


def _time_step(imap: IteratedMap, x: torch.Tensor, y: torch.Tensor, repeats: int,
               optimiser: torch.optim.Optimizer | None = None) -> float:
    """Time of one training step (forward, backward, update), seconds: the mean
    of ``repeats`` steps after two warm-up steps, by ``torch.utils.benchmark.Timer``
    (on one thread). The steps change imap: time a map whose training is done.
    ``optimiser`` defaults to SGD."""
    optimiser = torch.optim.SGD(imap.parameters(), lr=1e-3) if optimiser is None else optimiser

    def step() -> None:
        optimiser.zero_grad()
        nn.functional.cross_entropy(imap(x), y).backward()
        optimiser.step()

    return Timer("step()", globals={"step": step}, num_threads=1).timeit(repeats).mean


def step_times(sizes: Sequence[int] = (64, 128, 128, 10), densities: Sequence[float] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5),
               *, batch: int = 256, repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Time of a training step of random masks of each density, dense and CSR.

    Density = trainable entries / n². Also times the MLP mask of ``sizes``
    (block storage). Times are the mean of ``repeats`` steps after a warm-up
    (``torch.utils.benchmark.Timer``), in seconds, on one thread
    (``single_thread``); they vary from run to run and machine to machine.

    Returns ``{"densities": [...], "dense": [...], "csr": [...],
    "mlp": (density, seconds)}``.
    """
    sizes = check_sizes(sizes)
    batch = check_int(batch, "batch", minimum=1)
    repeats = check_int(repeats, "repeats", minimum=1)
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand((batch, sizes[0]), generator=generator)
    y = torch.randint(0, sizes[-1], (batch,), generator=generator)
    out: dict[str, Any] = {"densities": [], "dense": [], "csr": [], "sizes": sizes}
    with single_thread():
        _step_times(out, sizes, densities, x, y, generator, repeats, seed)
    return out


def _step_times(out, sizes, densities, x, y, generator, repeats, seed) -> None:
    n, n0 = sum(sizes), sizes[0]
    for density in densities:
        density = check_real(density, "density", minimum=0.0, strict=True)
        entries = max(1, min(int(round(density * n * n)), (n - n0) * n))
        mask = random_mask(sizes, entries, generator)
        out["densities"].append(entries / (n * n))
        for kind in ("dense", "csr"):
            imap = IteratedMap(sizes, mask, kind=kind, generator=torch.Generator().manual_seed(seed))
            out[kind].append(_time_step(imap, x, y, repeats))
    mlp = IteratedMap(sizes, mlp_mask(sizes), kind="blocks", generator=torch.Generator().manual_seed(seed))
    out["mlp"] = (float(mlp_mask(sizes).mean().item()), _time_step(mlp, x, y, repeats))


def _crossover(d: np.ndarray, a: np.ndarray, b: np.ndarray) -> float | None:
    """First density where log(a / b) changes sign, interpolated on log axes."""
    r = np.log(a) - np.log(b)
    for k in range(len(d) - 1):
        if r[k] < 0 <= r[k + 1] or r[k] > 0 >= r[k + 1]:
            t = r[k] / (r[k] - r[k + 1])
            return float(np.exp(np.log(d[k]) + t * (np.log(d[k + 1]) - np.log(d[k]))))
    return None


def plot_step_times(times: Mapping[str, Any], ax: Axes | None = None) -> Figure:
    """Time per training step against density: dense, CSR, the MLP mask as
    blocks; the measured crossover and the package's ``CSR_CROSSOVER`` marked."""
    if not isinstance(times, Mapping) or "densities" not in times:
        raise TypeError(f"times must be what step_times returns, got {describe(times)}")
    ax = new_axes(ax, figsize=(6.0, 3.6))
    d = np.asarray(times["densities"])
    dense = np.asarray(times["dense"]) * 1e3
    csr = np.asarray(times["csr"]) * 1e3
    ax.plot(d, dense, "o-", label="dense masked (n² entries)")
    ax.plot(d, csr, "s-", label="sparse rows (CSR)")
    density, seconds = times["mlp"]
    ax.plot([density], [seconds * 1e3], "*", markersize=14, color="C2", label="MLP mask as blocks")
    cross = _crossover(d, csr, dense)
    if cross is not None:
        ax.axvline(cross, color="C3", linestyle="--", linewidth=1)
        ax.annotate(f"measured crossover ≈ {cross:.0%}", xy=(cross, 0.95), xycoords=("data", "axes fraction"),
                    xytext=(4, 0), textcoords="offset points", color="C3", va="top")
    ax.axvline(CSR_CROSSOVER, color="grey", linestyle=":", linewidth=1, label=f"CSR_CROSSOVER = {CSR_CROSSOVER:.0%}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mask density (trainable entries / n²)")
    ax.set_ylabel("ms per training step")
    ax.set_title(f"sizes {list(times.get('sizes', []))}: time per training step (1 thread)")
    ax.legend(loc="best", fontsize=8)
    # measured times depend on the machine: the description names what is drawn, not the times
    return describe_figure(ax.figure, (
        f"Log-log plot of the measured time per training step (milliseconds, one thread) against the mask's "
        f"density, from {d.min():.1%} to {d.max():.1%} of the n² entries, for sizes {list(times.get('sizes', []))}: "
        f"the dense masked storage as circles on a solid line, the sparse rows (CSR) as squares, the MLP mask "
        f"stored as blocks as one star at its density {density:.1%}. A dashed line marks the density where the "
        f"CSR and dense curves cross, when they do, and a dotted line the package's CSR_CROSSOVER = "
        f"{CSR_CROSSOVER:.0%}. The times vary from machine to machine; the figure shows their values."))


NOTEBOOK = "07_mlp_as_sparse_map"


#: a small, quick version of the notebook's experiment: 600 training images,
#: float32, 30 full-batch Adam steps
TRAIN_IMAGES, EPOCHS, LR = 600, 30, 0.05




#: training steps timed per run of the slider (after two warm-up steps)
STEPS_TIMED = 3


def mask_run(hidden: int = 16, density: float = 0.1, random: bool = True,
             seed: int = 0) -> tuple[float, float, str, torch.Tensor]:
    """Train sizes [64, hidden, hidden, 10] with the MLP mask or a random mask of
    ``density`` (entries / n²) on ``TRAIN_IMAGES`` digits (``train_map``, Adam,
    ``EPOCHS`` steps); return (test accuracy, seconds per training step as
    ``_time_step`` measures it, storage kind, the mask). Cached: a setting seen
    before answers at once (the mask returned is the caller's own copy).

    Args:
        hidden: width of both hidden layers (>= 1).
        density: the random mask's trainable entries / n² (> 0).
        random: a random mask (True) or the MLP mask (False).
        seed: seed of the private generator (mask and starting U).
    """
    hidden = check_int(hidden, "hidden", minimum=1)
    density = check_real(density, "density", minimum=0.0, strict=True)
    if not isinstance(random, (bool, np.bool_)):
        raise TypeError(f"random must be True (a random mask) or False (the MLP mask), got {describe(random)}")
    seed = check_int(seed, "seed", minimum=0)
    accuracy_, seconds, kind, mask = _mask_run(hidden, density, bool(random), seed)
    return accuracy_, seconds, kind, mask


@copied(maxsize=256)
def _mask_run(hidden: int, density: float, random: bool, seed: int) -> tuple[float, float, str, torch.Tensor]:
    sizes = [64, hidden, hidden, 10]
    n = sum(sizes)
    generator = torch.Generator().manual_seed(seed)
    if random:
        entries = max(1, min(int(round(density * n * n)), (n - 64) * n))
        mask = random_mask(sizes, entries, generator)
    else:
        mask = mlp_mask(sizes)
    imap = IteratedMap(sizes, mask, dtype=torch.float32, generator=generator)
    x, y, x_test, y_test = training_digits(TRAIN_IMAGES, torch.float32)
    with single_thread():
        train_map(imap, x, y, epochs=EPOCHS, lr=LR)
        test_accuracy = accuracy(imap, x_test, y_test)
        seconds = _time_step(imap, x, y, STEPS_TIMED)  # after the accuracy: timing steps train further
    return test_accuracy, seconds, imap.kind, mask


#: the random mask's budget, as a multiple of the MLP mask's trainable entries
BUDGETS = (("⅛×", 0.125), ("¼×", 0.25), ("½×", 0.5), ("1× (equal)", 1.0), ("2×", 2.0), ("3×", 3.0))


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "hidden": widgets.IntSlider(value=16, min=8, max=32, step=8, description="hidden width", style=style),
        "budget": widgets.SelectionSlider(options=BUDGETS, value=1.0, description="random mask entries ÷ MLP mask's",
                                          style=style),
    }


def _density_runs(hidden: int, budget: float) -> tuple[float, tuple, tuple]:
    """The slider's two runs at width ``hidden``: the MLP mask's density (the
    equal budget), the random mask with ``budget`` times its entries, the MLP mask."""
    sizes = [64, hidden, hidden, 10]
    n = sum(sizes)
    equal = int(mlp_mask(sizes).sum().item()) / (n * n)  # the MLP mask's density: the equal budget
    return equal, mask_run(hidden, budget * equal, True), mask_run(hidden, equal, False)


@explorer(NOTEBOOK, _controls)
def explore_mask_density(hidden: int = 16, budget: float = 1.0) -> Figure:
    """A random mask with ``budget`` times the MLP mask's trainable entries
    against the MLP mask, both of the chosen hidden width: the random mask,
    test accuracy and time per training step, and both densities on one axis
    (the equal-budget density marked). At budget 1 the two have exactly as
    many trainable entries."""
    hidden, budget = int(hidden), float(budget)
    sizes = [64, hidden, hidden, 10]
    n = sum(sizes)
    equal, (acc_r, time_r, kind_r, mask), (acc_m, time_m, kind_m, _) = _density_runs(hidden, budget)
    density = float(mask.sum().item()) / (n * n)
    fig = plt.figure(figsize=(8.4, 3.6))
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.5], height_ratios=[3, 1], left=0.06, right=0.97,
                            bottom=0.14, top=0.84, wspace=0.25, hspace=0.9)
    ax_mask, ax_acc, ax_density = fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    plot_mask(mask, sizes, ax=ax_mask, title="random Ω")
    rows = [("MLP mask", int(mlp_mask(sizes).sum()), acc_m, time_m, kind_m),
            ("random mask", int(mask.sum()), acc_r, time_r, kind_r)]
    ax_acc.barh([0, 1], [acc_m, acc_r], color=["C0", "C1"])
    for k, (label, entries, acc, seconds, kind) in enumerate(rows):
        ax_acc.text(0.02, k, f"{label}: {entries} entries\naccuracy {acc:.3f}, {seconds * 1e3:.1f} ms/step ({kind})",
                    va="center", color="black", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.75})
    ax_acc.set_yticks([])
    ax_acc.set_xlim(0, 1)
    ax_acc.set_xlabel("test accuracy (digits)")
    # both densities on one axis: the equal budget, the random mask's, and where the storage switches
    ax_density.set_xscale("log")
    ax_density.set_xlim(0.005, 0.7)
    ax_density.set_ylim(0, 1)
    ax_density.set_yticks([])
    ax_density.grid(False)
    ax_density.axvline(equal, color="C0", linewidth=2)
    ax_density.annotate(f"equal budget {equal:.1%}", xy=(equal, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 2), textcoords="offset points", fontsize=8, color="C0", va="bottom")
    ax_density.plot([density], [0.5], "o", color="C1", markersize=8)
    ax_density.axvline(CSR_CROSSOVER, color="grey", linestyle=":", linewidth=1)
    ax_density.annotate("storage: CSR ← | → dense", xy=(CSR_CROSSOVER, 0.0), xycoords=("data", "axes fraction"),
                        xytext=(-3, 3), textcoords="offset points", fontsize=7, color="grey", ha="right", va="bottom")
    ax_density.set_xlabel("density (trainable entries / n²): MLP mask (line), random mask (dot)", fontsize=8)
    ax_density.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}" if v >= 0.01 else f"{v:.1%}"))
    times = dict((value, label) for label, value in BUDGETS).get(budget, f"{budget:g}×").split(" ")[0]
    fig.suptitle(f"sizes {sizes}: random mask {times} the MLP mask's entries, density {density:.1%}, "
                 f"{TRAIN_IMAGES} training images", fontsize=10)
    # accuracies of float32 training to one decimal, so that the words do not hang on the CPU's last bits;
    # the times per step are the machine's: the figure shows them, the description does not
    return describe_figure(fig, (
        f"Hidden width {hidden}, random mask with {times} the MLP mask's trainable entries, sizes {sizes}. Left: the "
        f"random mask Ω as an image, an entry black: {_mask_words(mask, sizes, slot_names(sizes))}. Top right: "
        f"test accuracy on the digits after {EPOCHS} Adam steps on {TRAIN_IMAGES} images, one labelled bar per mask: "
        f"MLP mask ({rows[0][1]:,} entries, stored as {kind_m}) about {acc_m:.1f}, random mask ({rows[1][1]:,} "
        f"entries, stored as {kind_r}) about {acc_r:.1f}. Bottom right: the densities on a log axis, the MLP mask's "
        f"{equal:.1%} as a line, the random mask's {density:.1%} as a dot, and the dotted line at "
        f"CSR_CROSSOVER = {CSR_CROSSOVER:.0%} below which a mask is stored as CSR."))
