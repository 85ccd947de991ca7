"""Exercises of notebook 08, a recurrent network is the same matrix: one block per exercise, in course order.
(The block's parts: linear_operator.py's docstring and README's "Adding an exercise".)
"""

from __future__ import annotations

import torch

from .checking import (
    Exercise,
    FunctionAnswer,
    Mistake,
    NumberAnswer,
    TensorAnswer,
    given,
    rows_versus_columns,
    transposed,
)
from .common import slot_starts

EXERCISES: list[Exercise] = []


# --------------------------------------------------------------------------- 08.1 the injected iteration
def hidden_after(S, b, xs):
    n0 = xs.shape[1]
    z = torch.zeros((S.shape[0], xs.shape[2]), dtype=S.dtype)
    for x in xs:  # x_1, ..., x_T, each (n0, m)
        z = torch.cat([x, z[n0:]])  # inject x_t into the input slot
        z = torch.tanh(S @ z + b)
    return z[n0:]


def _rnn_case(seed: int, n0: int, hidden: int, T: int, m: int) -> dict:
    """S, b and a sequence from an nn.RNN(n0, hidden)'s weights, drawn from a private generator."""
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return (torch.randn(shape, generator=generator, dtype=torch.float64) / 2).to(torch.get_default_dtype())

    W_ih, W_hh, bias = draw(hidden, n0), draw(hidden, hidden), draw(hidden, 1)
    n = n0 + hidden
    S = torch.zeros((n, n), dtype=torch.get_default_dtype())
    S[n0:, :n0], S[n0:, n0:] = W_ih, W_hh
    b = torch.cat([torch.zeros((n0, 1), dtype=S.dtype), bias])
    return dict(S=S, b=b, xs=draw(T, n0, m))


def _cases_hidden():
    return [
        ("nn.RNN(5, 7), T = 4, three sequences", _rnn_case(180, 5, 7, 4, 3)),
        ("nn.RNN(3, 4), T = 6, two sequences", _rnn_case(181, 3, 4, 6, 2)),
        ("T = 1: one step", _rnn_case(182, 2, 3, 1, 2)),
        ("one input, one hidden unit, one sequence", _rnn_case(183, 1, 1, 5, 1)),
        ("nn.RNN(8, 4), T = 8: digit rows", _rnn_case(184, 8, 4, 8, 2)),
    ]


def _not_injected(S, b, xs):
    n0 = xs.shape[1]
    z = torch.cat([xs[0], torch.zeros((S.shape[0] - n0, xs.shape[2]), dtype=S.dtype)])
    for _ in xs:
        z = torch.tanh(S @ z + b)
    return z[n0:]


def _injected_after(S, b, xs):
    n0 = xs.shape[1]
    z = torch.zeros((S.shape[0], xs.shape[2]), dtype=S.dtype)
    for x in xs:
        z = torch.tanh(S @ z + b)
        z = torch.cat([x, z[n0:]])
    return z[n0:]


def _learner_rnn(S, b, xs, steps=0, inject="before", bias=True, transpose=False):
    """A learner's loop over the steps of xs (T, n0, m) with one thing changed; returns the hidden slot."""
    n0 = xs.shape[1]
    if transpose:
        S = S.T
    z = torch.zeros(S.shape[0], xs.shape[2])
    inputs = list(xs)[: len(xs) + steps] if steps < 0 else list(xs) + [torch.zeros_like(xs[0])] * steps
    if inject == "never":
        z = torch.cat([xs[0], z[n0:]])
    for x in inputs:
        if inject == "before":
            z = torch.cat([x, z[n0:]])
        z = torch.tanh(S @ z + b) if bias else torch.tanh(S @ z)
        if inject == "after":
            z = torch.cat([x, z[n0:]])
    return z[n0:]


def _learner_rnn_rows(S, b, xs):
    """A learner who keeps the sequences as rows: z is (m, n), the update z Sᵀ + bᵀ."""
    n0 = xs.shape[1]
    z = torch.zeros(xs.shape[2], S.shape[0])
    for x in xs:
        z = torch.cat([x.T, z[:, n0:]], dim=1)
        z = torch.tanh(z @ S.T + b.T)
    return z[:, n0:]


EXERCISES.append(
    Exercise(
        id="08.1",
        task="write hidden_after(S, b, xs): T iterations with x_t injected, the hidden slot",
        reference=hidden_after,
        cases=_cases_hidden,
        answer=FunctionAnswer(TensorAnswer()),
        gradients=("S", "b"),
        hint="Start from zeros (n, m); for each x in xs: z = torch.cat([x, z[n0:]]), then z = torch.tanh(S @ z + b).",
        mistakes=(
            Mistake(
                "one iteration too few",
                "Each of the T steps x_1, ..., x_T is one iteration: loop over every x in xs.",
                example=lambda S, b, xs: _learner_rnn(S, b, xs, steps=-1),
                change=lambda c: {**c, "xs": c["xs"][:-1]} if len(c["xs"]) > 1 else None,
            ),
            Mistake(
                "one iteration too many",
                "After x_T has been read, stop: T iterations for T steps.",
                example=lambda S, b, xs: _learner_rnn(S, b, xs, steps=+1),
                change=lambda c: {**c, "xs": torch.cat([c["xs"], torch.zeros_like(c["xs"][:1])])},
            ),
            Mistake(
                "no injection",
                "x_1 alone went into the state: set the input slot to x_t before every iteration t.",
                example=lambda S, b, xs: _learner_rnn(S, b, xs, inject="never"),
                instead=_not_injected,
            ),
            Mistake(
                "injected after the update",
                "Iteration t must read x_t: set the input slot first, then z ← σ(S z + b).",
                example=lambda S, b, xs: _learner_rnn(S, b, xs, inject="after"),
                instead=_injected_after,
            ),
            transposed(
                example=lambda S, b, xs: _learner_rnn(S, b, xs, transpose=True),
                explanation="You multiplied by Sᵀ. Entry [i, j] of S carries coordinate j into coordinate i: "
                "the update is S @ z.",
                instead=lambda S, b, xs: hidden_after(S.T, b, xs),
            ),
            Mistake(
                "the bias forgotten",
                "z ← σ(S z + b): add b before tanh.",
                example=lambda S, b, xs: _learner_rnn(S, b, xs, bias=False),
                instead=lambda S, b, xs: hidden_after(S, 0 * b, xs),
            ),
            rows_versus_columns(
                example=_learner_rnn_rows,
                explanation="Your result has the sequences as rows, shape (m, n − n₀). The course keeps examples "
                "as columns: the hidden slot is (n − n₀, m), one column per sequence, and the update is S @ z.",
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 08.2 the entries that make a network recurrent
def feedback_entries(Omega, sizes):
    starts = slot_starts(sizes)
    later = torch.zeros_like(Omega)
    for i in range(len(sizes)):
        for j in range(i, len(sizes)):  # slot i reads slot j, not an earlier slot
            later[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]] = 1.0
    return Omega * later


def _slot_mask(sizes, blocks):
    """A 0/1 mask with the given blocks (i, j) of the slots ``sizes`` full."""
    starts = slot_starts(sizes)
    mask = torch.zeros((sum(sizes), sum(sizes)), dtype=torch.get_default_dtype())
    for i, j in blocks:
        mask[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]] = 1.0
    return mask


def _random_slot_mask(seed, sizes):
    """Entries anywhere in the non-input rows (loops, skips and feedback), as notebook 07's random masks."""
    generator = torch.Generator().manual_seed(seed)
    mask = (torch.rand((sum(sizes), sum(sizes)), generator=generator) < 0.4).to(torch.get_default_dtype())
    mask[: sizes[0]] = 0.0
    return mask


def _cases_feedback():
    return [
        ("an Elman RNN [3, 4]", dict(Omega=_slot_mask([3, 4], [(1, 0), (1, 1)]), sizes=[3, 4])),
        ("an MLP [4, 6, 5, 3]", dict(Omega=_slot_mask([4, 6, 5, 3], [(1, 0), (2, 1), (3, 2)]), sizes=[4, 6, 5, 3])),
        ("a random mask [2, 3, 3, 2]", dict(Omega=_random_slot_mask(185, [2, 3, 3, 2]), sizes=[2, 3, 3, 2])),
        (
            "an RNN with a read-out and h←y feedback [3, 4, 2]",
            dict(Omega=_slot_mask([3, 4, 2], [(1, 0), (1, 1), (2, 1), (1, 2)]), sizes=[3, 4, 2]),
        ),
        ("slots of one unit [1, 1, 1]", dict(Omega=_random_slot_mask(186, [1, 1, 1]), sizes=[1, 1, 1])),
    ]


def _feedback_blocks(Omega, sizes, keep):
    """Ω's entries in the blocks (i, j) for which ``keep(i, j)``."""
    return Omega * _slot_mask(sizes, [(i, j) for i in range(len(sizes)) for j in range(len(sizes)) if keep(i, j)])


def _learner_blocks(Omega, sizes, keep, apply_mask=True):
    """A learner's feedback_entries keeping the blocks (i, j) with ``keep(i, j)`` (the mistakes' examples)."""
    s = [sum(sizes[:i]) for i in range(len(sizes))]
    out = torch.zeros_like(Omega)
    for i in range(len(sizes)):
        for j in range(len(sizes)):
            if keep(i, j):
                rows, cols = slice(s[i], s[i] + sizes[i]), slice(s[j], s[j] + sizes[j])
                out[rows, cols] = Omega[rows, cols] if apply_mask else 1
    return out


EXERCISES.append(
    Exercise(
        id="08.2",
        task="write feedback_entries(Omega, sizes): the entries that read their own slot or a later one",
        reference=feedback_entries,
        cases=_cases_feedback,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Slot i starts at sum(sizes[:i]); keep Ω in every block (i, j) with j >= i (the diagonal blocks and above).",
        mistakes=(
            Mistake(
                "the mask not applied",
                "Return Ω's entries in those blocks, not the blocks themselves: multiply by Omega.",
                example=lambda Omega, sizes: _learner_blocks(Omega, sizes, lambda i, j: j >= i, apply_mask=False),
                instead=lambda Omega, sizes: _feedback_blocks(torch.ones_like(Omega), sizes, lambda i, j: j >= i),
            ),
            Mistake(
                "the diagonal blocks only",
                "A slot that reads a later slot closes a loop too (h←y, for example): keep every block (i, j) "
                "with j >= i.",
                example=lambda Omega, sizes: _learner_blocks(Omega, sizes, lambda i, j: i == j),
                instead=lambda Omega, sizes: _feedback_blocks(Omega, sizes, lambda i, j: j == i),
            ),
            Mistake(
                "the diagonal blocks left out",
                "A slot that reads itself closes a loop too (h←h, the RNN's own loop): keep every block (i, j) "
                "with j >= i, the diagonal blocks included.",
                example=lambda Omega, sizes: _learner_blocks(Omega, sizes, lambda i, j: j > i),
                instead=lambda Omega, sizes: _feedback_blocks(Omega, sizes, lambda i, j: j > i),
            ),
            Mistake(
                "the matrix's diagonal, not the blocks'",
                "A slot is a block of rows and columns: h←h is the whole block of h's rows and h's columns, "
                "not only its entries [k, k].",
                example=lambda Omega, sizes: torch.diag(torch.diag(Omega)),
                instead=lambda Omega, sizes: Omega * torch.eye(Omega.shape[0], dtype=Omega.dtype),
            ),
            Mistake(
                "the feed-forward entries",
                "Those read an earlier slot (the blocks below the diagonal, an MLP's); a loop reads its own slot or "
                "a later one.",
                example=lambda Omega, sizes: _learner_blocks(Omega, sizes, lambda i, j: j < i),
                instead=lambda Omega, sizes: _feedback_blocks(Omega, sizes, lambda i, j: j < i),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 08.3 the budget, by hand
def feedforward_width(hidden, pixels, classes):
    return (pixels * hidden + hidden * hidden + hidden * classes) / (pixels + classes)


EXERCISES.append(
    Exercise(
        id="08.3",
        task="derive the width of the map without h←h with the RNN's budget, 32 hidden units",
        reference=feedforward_width,
        cases=given(hidden=32, pixels=8, classes=10),
        answer=NumberAnswer(digits=3),
        hint="The RNN mask has 8·32 + 32·32 + 32·10 entries; a unit of the map without h←h has 8 + 10.",
        mistakes=(
            Mistake(
                "the read-out forgotten",
                "Both maps have the read-out y←h: a unit of the wide map costs 8 + 10 entries.",
                example=(32 * 8 + 32 * 32) / 8,
                instead=lambda hidden, pixels, classes: (pixels * hidden + hidden * hidden) / pixels,
            ),
            Mistake(
                "the h←h block not counted",
                "The RNN's budget includes its hidden² entries of h←h: the map without h←h spends them on width.",
                example=32,
                instead=lambda hidden, pixels, classes: float(hidden),
            ),
            Mistake(
                "the MLP's width",
                "That is the MLP of notebook 07, which reads all 64 pixels at once; the map without h←h reads 8 per "
                "step.",
                example=1600 / 74,
                instead=lambda hidden, pixels, classes: feedforward_width(hidden, pixels, classes)
                * (pixels + classes)
                / (pixels * pixels + classes),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 08.4 what is left without the loop
def last_row(images):
    return images[:, 56:64]


def _cases_images():
    generator = torch.Generator().manual_seed(187)

    def digits(m):
        return torch.rand((m, 64), generator=generator, dtype=torch.float64).to(torch.get_default_dtype())

    return [
        ("three random 8 x 8 images", dict(images=digits(3))),
        ("one image", dict(images=digits(1))),
        ("the image 0, 1, ..., 63 (pixel k holds k)", dict(images=torch.arange(64.0)[None, :])),
    ]


EXERCISES.append(
    Exercise(
        id="08.4",
        task="write last_row(images): the pixels that the map without h←h answers from",
        reference=last_row,
        cases=_cases_images,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Row t (t = 1..8) of a digit is images[:, 8(t−1):8t]; which row was injected last?",
        mistakes=(
            Mistake(
                "the first row",
                "Each injection replaces the row before it, and without h←h nothing else remembers it: "
                "what is left after the last step is the last row, pixels 56 to 63.",
                example=lambda images: images[:, 0:8],
                instead=lambda images: images[:, :8],
            ),
            Mistake(
                "one row off",
                "images[:, 48:56] is row 7, the row before the last; the last injection is row 8, pixels 56 to 63 "
                "(images[:, 56:64]).",
                example=lambda images: images[:, 8 * 6 : 8 * 7],  # "row 7" read as the last
                instead=lambda images: images[:, 48:56],
            ),
            Mistake(
                "rows versus columns",
                "Pixel k sits in row k // 8 and column k % 8: images[:, 7::8] is the last column, not the last row.",
                example=lambda images: images[:, [8 * r + 7 for r in range(8)]],
                instead=lambda images: images[:, 7::8],
            ),
        ),
    )
)
