"""Exercises of notebook 07, an MLP is an iterated sparse matrix: one block per exercise, in course order.
(The block's parts: linear_operator.py's docstring and README's "Adding an exercise".)
"""

from __future__ import annotations

import torch
from torch import nn

from .checking import (
    Exercise,
    FunctionAnswer,
    Mistake,
    NumberAnswer,
    TensorAnswer,
    given,
    transposed,
)
from .common import slot_starts

EXERCISES: list[Exercise] = []


# --------------------------------------------------------------------------- 07.1 the MLP mask
def mask_of_mlp(sizes):
    n, starts = sum(sizes), slot_starts(sizes)
    Omega = torch.zeros((n, n))
    for l in range(1, len(sizes)):
        Omega[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = 1.0
    return Omega


def _cases_sizes():
    return [
        ("[2, 3]: one layer", dict(sizes=[2, 3])),
        ("[4, 6, 5, 3]", dict(sizes=[4, 6, 5, 3])),
        ("[1, 1, 1, 1]", dict(sizes=[1, 1, 1, 1])),
        ("[3, 2, 2]", dict(sizes=[3, 2, 2])),
        ("[64, 16, 16, 10]", dict(sizes=[64, 16, 16, 10])),
    ]


def _identity_block(sizes):
    block = torch.zeros((sum(sizes), sum(sizes)))
    block[: sizes[0], : sizes[0]] = torch.eye(sizes[0])
    return block


def _learner_mask(sizes, above=False, identity=False):
    """A learner's mask_of_mlp with one thing changed (the mistakes' examples)."""
    n = sum(sizes)
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    M = torch.zeros(n, n)
    for l in range(1, len(sizes)):
        rows = slice(starts[l], starts[l] + sizes[l])
        cols = slice(starts[l - 1], starts[l - 1] + sizes[l - 1])
        if above:
            M[cols, rows] = 1
        else:
            M[rows, cols] = 1
    if identity:
        M[: sizes[0], : sizes[0]] += torch.eye(sizes[0])
    return M


EXERCISES.append(
    Exercise(
        id="07.1",
        task="write mask_of_mlp(sizes): ones on the blocks just below the diagonal",
        reference=mask_of_mlp,
        cases=_cases_sizes,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Slot l starts at sum(sizes[:l]); layer l fills rows of slot l, columns of slot l − 1.",
        mistakes=(
            transposed(
                example=lambda sizes: _learner_mask(sizes, above=True),
                explanation="Your blocks sit above the diagonal: layer l writes the rows of slot l and reads "
                "the columns of slot l − 1.",
            ),
            Mistake(
                "the input's identity included",
                "The identity on the input slot is fixed, not trained: it lives in Init, not in Ω.",
                example=lambda sizes: _learner_mask(sizes, identity=True),
                instead=lambda sizes: mask_of_mlp(sizes) + _identity_block(sizes),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 07.2 the budget
def budget(sizes):
    return sum(sizes[l - 1] * sizes[l] for l in range(1, len(sizes)))


EXERCISES.append(
    Exercise(
        id="07.2",
        task="write budget(sizes): the number of trainable entries of the MLP mask",
        reference=budget,
        cases=_cases_sizes,
        answer=FunctionAnswer(NumberAnswer(tol=0)),
        hint="Layer l has a weight of n_(l-1) · n_l entries; add them up.",
        mistakes=(
            Mistake(
                "the input's identity counted",
                "The identity that copies x is in Init, not trainable: count the weights only.",
                example=lambda sizes: int(_learner_mask(sizes).sum()) + sizes[0],
                instead=lambda sizes: budget(sizes) + sizes[0],
            ),
            Mistake(
                "the biases counted",
                "The budget is the number of entries of Ω (the weights); the biases stay outside S.",
                example=lambda sizes: sum(sizes[l - 1] * sizes[l] + sizes[l] for l in range(1, len(sizes))),
                instead=lambda sizes: budget(sizes) + sum(sizes[1:]),
            ),
            Mistake(
                "a layer missing",
                "Every layer l = 1..D has a block of n_(l-1) · n_l entries: check the range of your loop.",
                example=lambda sizes: sum(sizes[l - 1] * sizes[l] for l in range(1, len(sizes) - 1)),
                instead=lambda sizes: budget(sizes[:-1]),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 07.3 the equal-budget density, by hand
def equal_budget_density(sizes):
    return budget(sizes) / sum(sizes) ** 2


EXERCISES.append(
    Exercise(
        id="07.3",
        task="derive the density of a random mask with the MLP mask's budget, sizes (64, 16, 16, 10)",
        reference=equal_budget_density,
        cases=given(sizes=[64, 16, 16, 10]),
        answer=NumberAnswer(digits=3),
        hint="density = entries / n², with n = 64 + 16 + 16 + 10.",
        mistakes=(
            Mistake(
                "a percentage",
                "A density is a fraction between 0 and 1: 12.8 % is 0.128.",
                example=12.816,
                transform=lambda d: 100 * d,
            ),
            Mistake(
                "the non-input rows only",
                "The slider's density is entries / n², over every entry of S.",
                example=1440 / (42 * 106),
                instead=lambda sizes: budget(sizes) / ((sum(sizes) - sizes[0]) * sum(sizes)),
            ),
            Mistake(
                "inverted",
                "The density is entries / n², not n² / entries.",
                example=106**2 / 1440,
                transform=lambda d: 1 / d,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 07.4 S from any MLP
def S_from_model(model):
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    n, starts = sum(sizes), slot_starts(sizes)
    S = torch.zeros((n, n), dtype=linears[0].weight.dtype)
    S[: sizes[0], : sizes[0]] = torch.eye(sizes[0])  # Init: the input persists
    for l, layer in enumerate(linears, start=1):
        S[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = layer.weight.detach()
    return S


def _model(seed: int, *layers: nn.Module) -> nn.Sequential:
    """An nn.Sequential whose Linear layers are filled from a private generator (no global RNG)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in layers:
            for p in layer.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) / 2)
    return nn.Sequential(*layers)


def _linear(n_in: int, n_out: int, bias: bool = True) -> nn.Linear:
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its start from the global RNG: put it back
        return nn.Linear(n_in, n_out, bias=bias)


def _cases_models():
    return [
        ("square layers without bias", dict(model=_model(143, _linear(2, 2, False), nn.ReLU(), _linear(2, 2, False)))),
        (
            "the notebook's shape: Linear(4, 6), ReLU, Linear(6, 5), Tanh, Linear(5, 3)",
            dict(model=_model(140, _linear(4, 6), nn.ReLU(), _linear(6, 5), nn.Tanh(), _linear(5, 3))),
        ),
        ("one layer: Linear(2, 3)", dict(model=_model(141, _linear(2, 3)))),
        (
            "a 1-unit hidden layer: Linear(3, 1), ReLU, Linear(1, 2)",
            dict(model=_model(142, _linear(3, 1), nn.ReLU(), _linear(1, 2))),
        ),
    ]


def _weights_transposed(model):
    """Each block Wᵀ instead of W (possible only where every layer is square)."""
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    if any(layer.in_features != layer.out_features for layer in linears):
        return None
    S = S_from_model(model)
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    starts = slot_starts(sizes)
    for l, layer in enumerate(linears, start=1):
        S[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = layer.weight.detach().T
    return S


def _without_identity(model):
    S = S_from_model(model)
    n0 = next(layer for layer in model if isinstance(layer, nn.Linear)).in_features
    S[:n0, :n0] = 0.0
    return S


def _learner_S(model, identity=True, weight_t=False, transpose=False):
    """A learner's S_from_model with one thing changed (the mistakes' examples)."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    n, s = sum(sizes), [sum(sizes[:i]) for i in range(len(sizes))]
    S = torch.zeros(n, n)
    if identity:
        S[: sizes[0], : sizes[0]] = torch.eye(sizes[0])
    for l, m in enumerate(linears, start=1):
        W = m.weight.detach()
        S[s[l] : s[l] + sizes[l], s[l - 1] : s[l - 1] + sizes[l - 1]] = W.T if weight_t else W
    return S.T if transpose else S


EXERCISES.append(
    Exercise(
        id="07.4",
        task="write S_from_model(model): the dense S of an nn.Sequential MLP",
        reference=S_from_model,
        cases=_cases_models,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Identity in the input block; model's Linear layers' weights in the blocks just below the diagonal.",
        mistakes=(
            transposed(
                example=lambda model: _learner_S(model, transpose=True),
                explanation="Your weights sit above the diagonal: layer l's weight goes in the rows of slot l "
                "and the columns of slot l − 1.",
            ),
            Mistake(
                "the input's identity missing",
                "S = Init + Ω ⊙ U: Init holds the identity that copies x through; without it x is lost after one "
                "iteration.",
                example=lambda model: _learner_S(model, identity=False),
                instead=_without_identity,
            ),
            Mistake(
                "each weight transposed",
                "nn.Linear stores its weight as (out, in), already the block's shape: put W as it is, not Wᵀ.",
                example=lambda model: _learner_S(model, weight_t=True),
                instead=_weights_transposed,
            ),
        ),
    )
)
