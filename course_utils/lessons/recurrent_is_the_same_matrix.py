"""Notebook 08's experiments and figures: a recurrent network is the same
iterated map, its input injected, and masks from MLP to RNN on the digits read
row by row.

An 8 x 8 digit is read as a sequence of T = 8 rows of 8 pixels. The maps of
the *recurrent layout* have slots x (8, the row being read), h (the hidden
slot) and y (10, the read-out): rows 1..8 are injected at iterations 1..8, and
iteration 9 lets y read h_8; the digit's scores are y after iteration 9
(``RowReader``). The MLP of notebook 07 reads the whole image at once instead.

Training is notebook 07's (``train_map``: full-batch Adam on the
cross-entropy), every random draw from an explicit ``torch.Generator``, on one
thread: the printed accuracies do not depend on the number of threads.

``explore_recurrent_share`` is the notebook's slider: at a fixed number of
trainable entries, the share placed in the diagonal block h←h against the
feed-forward blocks h←x and y←h.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn

from .._checks import check_int, check_real, describe
from ..mlp import IteratedMap, mlp_mask, random_mask
from ..plotting import describe_figure, draw_mask, plot_slots, subscript
from ..recurrent import RecurrentMap, rnn_mask
from ..storage import slot_slices
from .cache import copied
from .explorer import explorer
from .mlp_as_sparse_map import (_block_counts, _label_blocks, _operator_words, accuracy, accuracy_table,
                                plot_accuracies, single_thread, slot_names, train_and_test, train_map, training_digits)

__all__ = [
    "RowReader",
    "accuracy_table",
    "as_rows",
    "compare_masks",
    "explore_recurrent_share",
    "feedforward_width",
    "last_row_only",
    "plot_accuracies",
    "plot_operator",
    "plot_two_masks",
    "readout_mask",
    "share_mask",
    "share_run",
]

NOTEBOOK = "08_recurrent_is_the_same_matrix"

#: an image is read as ROWS steps of PIXELS pixels (scikit-learn's 8 x 8 digits)
ROWS, PIXELS, CLASSES = 8, 8, 10



# ------------------------------------------------------------------ reading by rows
def as_rows(x: Any) -> torch.Tensor:
    """Images (m, 64) as sequences of their rows, (m, 8, 8): step t is row t.

    Row t (t = 1..8, top to bottom) is ``x[:, 8(t-1):8t]`` in code.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != ROWS * PIXELS:
        raise TypeError(f"x must be a tensor of images as rows (m, {ROWS * PIXELS}), got {describe(x)}")
    return x.reshape(x.shape[0], ROWS, PIXELS)


class RowReader(nn.Module):
    """A map of the recurrent layout reading a digit row by row; its scores are y.

    Rows 1..8 are injected at iterations 1..8 (schedule "full": every slot at
    every iteration, whatever the mask), and a ninth iteration, the input slot
    zero, lets the read-out slot y read h_8. ``reader(x)`` takes images as rows
    (m, 64), like notebook 07's maps, and returns the scores (m, 10).

    Args:
        rmap: a ``RecurrentMap`` with 8 inputs per step and a last slot of 10.
    """

    def __init__(self, rmap: RecurrentMap) -> None:
        super().__init__()
        if not isinstance(rmap, RecurrentMap):
            raise TypeError(f"rmap must be a course_utils.recurrent.RecurrentMap, got {describe(rmap)}")
        if rmap.sizes[0] != PIXELS or rmap.sizes[-1] != CLASSES:
            raise ValueError(f"rmap must read {PIXELS} pixels per step and end with a slot of {CLASSES} scores, "
                             f"got sizes {rmap.sizes}")
        self.rmap = rmap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequences = as_rows(x)
        if not self.rmap.batch_first:
            sequences = sequences.transpose(0, 1)
        output, _ = self.rmap(sequences, schedule="full", iterations=ROWS + 1)
        return output[:, -1] if self.rmap.batch_first else output[-1]


# ------------------------------------------------------------------ masks
def readout_mask(hidden: int, diagonal: bool = True) -> torch.Tensor:
    """Ω of the recurrent layout [8, hidden, 10]: h←x, h←h (if ``diagonal``), y←h.

    With ``diagonal`` this is ``nn.RNN(8, hidden)`` with a linear read-out; without,
    the same net with its recurrent block removed.
    """
    hidden = check_int(hidden, "hidden", minimum=1)
    sizes = [PIXELS, hidden, CLASSES]
    mask = rnn_mask(sizes)
    y = slot_slices(sizes)[2]
    mask[y, y] = 0.0  # the read-out reads h only
    if not bool(diagonal):
        h = slot_slices(sizes)[1]
        mask[h, h] = 0.0
    return mask


def feedforward_width(hidden: int) -> int:
    """The hidden width of the map without h←h whose budget is nearest the RNN's
    with ``hidden`` units: (hidden² + 18·hidden) / 18, rounded."""
    hidden = check_int(hidden, "hidden", minimum=1)
    return max(1, round(_entries(hidden) / (PIXELS + CLASSES)))


def _entries(hidden: int) -> int:
    """Trainable entries of ``readout_mask(hidden)``: 8h + h² + 10h."""
    return PIXELS * hidden + hidden * hidden + hidden * CLASSES


def share_mask(hidden: int, entries: int, share: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A mask of the recurrent layout [8, hidden, 10] with ``entries`` ones: a
    share ``share`` of them at random in the diagonal block h←h, the rest at
    random in the feed-forward blocks h←x and y←h (notebook 08's slider).

    Args:
        hidden: width of h.
        entries: trainable entries, at most hidden² and at most 18·hidden.
        share: the part of ``entries`` in h←h, 0..1 (rounded to whole entries).
        generator: a ``torch.Generator`` for the draw.
    """
    hidden = check_int(hidden, "hidden", minimum=1)
    entries = check_int(entries, "entries", minimum=1, maximum=min(hidden * hidden, (PIXELS + CLASSES) * hidden))
    share = check_real(share, "share", minimum=0.0)
    if share > 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    feedforward = readout_mask(hidden, diagonal=False)
    loop = readout_mask(hidden) - feedforward
    mask = torch.zeros_like(feedforward)
    on_loop = int(round(share * entries))
    for block, count in ((loop, on_loop), (feedforward, entries - on_loop)):
        places = block.flatten().nonzero()[:, 0]
        chosen = places[torch.randperm(len(places), generator=generator)[:count]]
        mask.view(-1)[chosen] = 1.0
    return mask


# ------------------------------------------------------------------ the experiment
def _row_reader(sizes: list[int], mask: torch.Tensor, generator: torch.Generator, dtype: torch.dtype) -> RowReader:
    """A map of the recurrent layout (tanh on h, y linear) reading digits row by row."""
    return RowReader(RecurrentMap(sizes, mask, activations=[nn.Tanh(), None], batch_first=True, dtype=dtype,
                                  generator=generator))


def _maps(hidden: int, generator: torch.Generator, dtype: torch.dtype) -> dict[str, nn.Module]:
    """One map per mask of the comparison, each at (nearly) the RNN mask's budget."""
    entries = _entries(hidden)
    wide = feedforward_width(hidden)
    whole = max(1, round(entries / (ROWS * PIXELS + CLASSES)))  # the MLP's hidden width
    sizes = [PIXELS, hidden, CLASSES]
    return {
        "RNN": _row_reader(sizes, readout_mask(hidden), generator, dtype),
        "no h←h": _row_reader([PIXELS, wide, CLASSES], readout_mask(wide, diagonal=False), generator, dtype),
        "MLP (07)": IteratedMap([ROWS * PIXELS, whole, CLASSES], activations=[nn.Tanh(), None], dtype=dtype,
                                generator=generator),
        "random": _row_reader(sizes, random_mask(sizes, entries, generator), generator, dtype),
    }


def _describe_map(model: nn.Module) -> tuple[int, int, int]:
    """(n, trainable entries of Ω, iterations) of a map of the comparison."""
    if isinstance(model, RowReader):
        return model.rmap.n, model.rmap.operator.entries, ROWS + 1
    if isinstance(model, IteratedMap):
        return model.n, model.operator.entries, len(model.sizes) - 1
    raise TypeError(f"model must be a RowReader or an IteratedMap, got {describe(model)}")


def compare_masks(hidden: int = 32, seeds: Sequence[int] = (0, 1, 2), *, epochs: int = 100, lr: float = 0.02,
                  images: int | None = None, dtype: torch.dtype = torch.float64) -> dict[str, dict[str, Any]]:
    """Test accuracy on the digits of four masks with the same budget, one
    training run per seed (notebook 08).

    The masks: "RNN" (``readout_mask(hidden)``, rows injected one per
    iteration), "no h←h" (the same without its diagonal block, hidden width
    ``feedforward_width(hidden)`` so that the budget stays), "MLP (07)" (the
    whole image at once, sizes [64, w, 10], tanh; w the nearest width to the
    budget) and "random" (``random_mask`` of the layout [8, hidden, 10] with the
    RNN's budget, anywhere in the rows of h and y, the diagonal blocks
    included). Seed s draws every starting U and the random mask from
    ``torch.Generator().manual_seed(s)``. Training: ``train_map`` (Adam,
    ``epochs`` full-batch steps, ``lr``) on the first ``images`` training
    digits (default all), on one thread.

    Returns ``{label: {"n": …, "entries": …, "iterations": …, "accuracies": [one per seed]}}``.
    """
    hidden = check_int(hidden, "hidden", minimum=1)
    runs = train_and_test(lambda seed: _maps(hidden, torch.Generator().manual_seed(seed), dtype), seeds,
                          training_digits(images, dtype), epochs=epochs, lr=lr)
    results: dict[str, dict[str, Any]] = {}
    for label, trained in runs.items():
        n, entries, iterations = _describe_map(trained[0][0])
        results[label] = {"n": n, "entries": entries, "iterations": iterations,
                          "accuracies": [accuracy_ for _, accuracy_ in trained]}
    return results


def last_row_only(width: int = 89, seeds: Sequence[int] = (0, 1, 2), *, epochs: int = 60, lr: float = 0.03,
                  dtype: torch.dtype = torch.float64) -> list[float]:
    """Test accuracy of notebook 07's map [8, width, 10] (tanh, then linear)
    trained on the last row of each digit alone (pixels 56..63), one run per
    seed, as ``compare_masks`` trains: what the map without h←h can know."""
    width = check_int(width, "width", minimum=1)
    x_train, y_train, x_test, y_test = training_digits(dtype=dtype)
    last = slice((ROWS - 1) * PIXELS, ROWS * PIXELS)

    def maps(seed: int) -> dict[str, nn.Module]:
        return {"last row": IteratedMap([PIXELS, width, CLASSES], activations=[nn.Tanh(), None], dtype=dtype,
                                        generator=torch.Generator().manual_seed(seed))}

    runs = train_and_test(maps, seeds, (x_train[:, last], y_train, x_test[:, last], y_test), epochs=epochs, lr=lr)
    return [accuracy_ for _, accuracy_ in runs["last row"]]


# ------------------------------------------------------------------ figures
def _block_label(i: int, j: int, names: list[str]) -> str:
    """W_ih and W_hh for the one hidden slot h of an Elman layer; "i←j" for any other block."""
    if names[i] == "h" and names[j] in ("x", "h"):
        return "W_ih" if names[j] == "x" else "W_hh"
    return f"{names[i]}←{names[j]}"


def plot_operator(rmap: RecurrentMap, readout: bool = False) -> Figure:
    """Init, Ω and S = Init + Ω ⊙ U of a recurrent map, slots drawn and blocks named (notebook 08).

    Slots are x, h (or h₁, h₂, … for a stack) and, with ``readout``, y; the
    block reading slot j into slot i is labelled W_ih (h←x), W_hh (the
    diagonal block h←h) or i←j.
    """
    if not isinstance(rmap, RecurrentMap):
        raise TypeError(f"rmap must be a course_utils.recurrent.RecurrentMap, got {describe(rmap)}")
    names = [subscript(name) for name in slot_names(rmap.sizes, bool(readout), numbered=False)]
    fig = plot_slots(rmap, names, lambda i, j: _block_label(i, j, names))
    return describe_figure(fig, _operator_words(rmap, names, lambda i, j: _block_label(i, j, names),
                                                "a recurrent network's iterated map"))


def _blocks_words(mask: Any, sizes: Sequence[int], names: Sequence[str]) -> str:
    """"h←x 128, h←h (diagonal) 256, y←h 160": a mask's blocks in words, its diagonal blocks named."""
    words = [f"{names[i]}←{names[j]}{' (diagonal)' if i == j else ''} {count:,}"
             for i, j, count in _block_counts(mask, sizes, names)]
    return ", ".join(words) if words else "no block"


def plot_two_masks(hidden: int = 16) -> Figure:
    """The MLP mask of notebook 07 (sizes [64, hidden, 10]) beside the RNN mask
    of the recurrent layout [8, hidden, 10]; entries of diagonal blocks in red."""
    hidden = check_int(hidden, "hidden", minimum=1)
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.8), layout="constrained", width_ratios=[90, 34])
    mlp_sizes, rnn_sizes = [ROWS * PIXELS, hidden, CLASSES], [PIXELS, hidden, CLASSES]
    titles = (f"MLP (07): the whole image, {int(mlp_mask(mlp_sizes).sum())} entries",
              f"RNN: one row per step,\n{_entries(hidden)} entries")
    words = []
    for ax, mask, sizes, title in zip(axes, (mlp_mask(mlp_sizes), readout_mask(hidden)), (mlp_sizes, rnn_sizes), titles):
        names = slot_names(sizes, numbered=False)
        draw_mask(ax, mask, sizes, names, diagonal=True)
        _label_blocks(ax, mask, sizes, names)  # the blocks named: h←h told by its label, not only by its red
        ax.set_title(title, fontsize=10)
        words.append(f"sizes {sizes}, {int(mask.sum()):,} entries in the blocks {_blocks_words(mask, sizes, names)}")
    return describe_figure(fig, (
        f"Two masks as images, each block that holds entries labelled with its name, entries of a diagonal block "
        f"(a slot reading itself) red, the others blue. Left, the MLP of notebook 07 reading the whole image: "
        f"{words[0]}. Right, the RNN reading one row per step: {words[1]}."))


# ------------------------------------------------------------------ the slider
#: the slider's quicker experiment: width, budget, training images, float32, Adam steps
SLIDER_HIDDEN, SLIDER_IMAGES, SLIDER_EPOCHS, SLIDER_LR = 16, 600, 20, 0.1
SLIDER_ENTRIES = SLIDER_HIDDEN * SLIDER_HIDDEN  # the whole diagonal block at share 1


def share_run(share: float = 0.5, seed: int = 0) -> tuple[float, torch.Tensor]:
    """Train the slider's map: ``share_mask(SLIDER_HIDDEN, SLIDER_ENTRIES, share)``
    read row by row (``RowReader``), ``SLIDER_EPOCHS`` Adam steps on
    ``SLIDER_IMAGES`` digits in float32; return (test accuracy, the mask).
    Cached: a setting seen before answers at once (the mask is the caller's copy).

    Args:
        share: the part of the budget in the diagonal block h←h, 0..1.
        seed: seed of the private generator (mask and starting U).
    """
    share = check_real(share, "share", minimum=0.0)
    if share > 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    seed = check_int(seed, "seed", minimum=0)
    test_accuracy, mask = _share_run(round(share, 6), seed)
    return test_accuracy, mask


@copied(maxsize=64)
def _share_run(share: float, seed: int) -> tuple[float, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    mask = share_mask(SLIDER_HIDDEN, SLIDER_ENTRIES, share, generator)
    reader = _row_reader([PIXELS, SLIDER_HIDDEN, CLASSES], mask, generator, torch.float32)
    x, y, x_test, y_test = training_digits(SLIDER_IMAGES, torch.float32)
    with single_thread():
        train_map(reader, x, y, epochs=SLIDER_EPOCHS, lr=SLIDER_LR)
        return accuracy(reader, x_test, y_test), mask


SHARES = tuple(k / 8 for k in range(9))


def _controls() -> dict:
    style = {"description_width": "initial"}
    options = [(f"{share:.0%}" if share * 100 % 1 == 0 else f"{share:.1%}", share) for share in SHARES]
    return {"share": widgets.SelectionSlider(options=options, value=0.5, description="share of entries in h←h",
                                             style=style)}


@explorer(NOTEBOOK, _controls)
def explore_recurrent_share(share: float = 0.5) -> Figure:
    """The slider's mask (h←h entries red, feed-forward blue) and its test
    accuracy, at a fixed budget of ``SLIDER_ENTRIES`` trainable entries of
    which ``share`` lie in the diagonal block h←h."""
    share = float(share)
    test_accuracy, mask = share_run(share)
    sizes = [PIXELS, SLIDER_HIDDEN, CLASSES]
    x, h, y = slot_slices(sizes)
    loop = int(mask[h, h].sum())
    fig = plt.figure(figsize=(8.0, 3.5))  # fixed places: a constrained layout would double the drawing time
    ax_mask, ax_acc = fig.add_axes((0.06, 0.1, 0.33, 0.66)), fig.add_axes((0.47, 0.2, 0.5, 0.5))
    draw_mask(ax_mask, mask, sizes, slot_names(sizes, numbered=False), diagonal=True)
    _label_blocks(ax_mask, mask, sizes, slot_names(sizes, numbered=False))  # h←h named, not only red
    ax_mask.set_title(f"Ω: {loop} entries in h←h (red),\n{int(mask.sum()) - loop} in h←x and y←h (blue)", fontsize=10)
    fed = int((mask[h, x].sum(dim=1) > 0).sum())  # hidden units that read some pixel
    read = int((mask[y, h].sum(dim=0) > 0).sum())  # hidden units that y reads
    ax_acc.barh([0], [test_accuracy], color="C3" if loop else "C0", height=0.5)
    ax_acc.axvline(0.1, color="grey", linestyle=":", linewidth=1)
    ax_acc.annotate("chance", xy=(0.1, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12),
                    textcoords="offset points", color="grey", fontsize=8)
    ax_acc.text(0.02, 0, f"test accuracy {test_accuracy:.3f} ({'with' if loop else 'without'} h←h)", va="center",
                fontsize=10,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax_acc.set_xlim(0, 1)
    ax_acc.set_ylim(-0.8, 0.8)
    ax_acc.set_yticks([])
    ax_acc.set_xlabel("test accuracy (digits read row by row)")
    n_loop, n_ff = SLIDER_HIDDEN**2, (PIXELS + CLASSES) * SLIDER_HIDDEN
    ax_acc.set_title(f"density of h←h {loop / n_loop:.0%}, of h←x and y←h {(int(mask.sum()) - loop) / n_ff:.0%}\n"
                     f"{fed} of {SLIDER_HIDDEN} hidden units read a pixel, y reads {read}", fontsize=9)
    fig.suptitle(f"{SLIDER_ENTRIES} trainable entries, {share:.1%} of them in h←h "
                 f"({SLIDER_IMAGES} training images, {SLIDER_EPOCHS} Adam steps)", fontsize=10)
    # the accuracy of float32 training to one decimal, so that the words do not hang on the CPU's last bits
    return describe_figure(fig, (
        f"Share {share:.1%} of the {int(mask.sum()):,} trainable entries in the diagonal block h←h. Left: the mask "
        f"Ω of the layout {sizes} as an image, each block that holds entries labelled, entries of h←h red, the "
        f"others blue: {_blocks_words(mask, sizes, slot_names(sizes, numbered=False))} (density of h←h "
        f"{loop / n_loop:.0%}, of h←x and y←h {(int(mask.sum()) - loop) / n_ff:.0%}). Right: the test accuracy on "
        f"the digits read row by row after {SLIDER_EPOCHS} Adam steps on {SLIDER_IMAGES} images, about "
        f"{test_accuracy:.1f}, against chance 0.1 (dotted); {fed} of {SLIDER_HIDDEN} hidden units read a pixel, "
        f"y reads {read}."))
