"""Input checks shared by the public functions.

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError``
(right kind, wrong value) with a message that names the argument, what was
expected and what was given, before any torch operation can fail with an
internal message.
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any, Callable

import numpy as np
import torch

__all__ = [
    "as_input",
    "as_matrix",
    "check_activation",
    "check_int",
    "check_mask",
    "check_precision",
    "check_real",
    "describe",
]


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def as_matrix(
    value: Any,
    name: str,
    *,
    rows: int | None = None,
    cols: int | None = None,
    dtype: torch.dtype | None = None,
    finite: bool = True,
) -> torch.Tensor:
    """Return ``value`` as a finite, non-empty 2-D floating tensor.

    Accepts tensors, NumPy arrays and nested lists (converted, never shared
    with the caller's object when a conversion is needed). ``rows``/``cols``
    fix the expected shape where given; ``dtype`` defaults to the tensor's own
    floating dtype, or torch's default dtype for other inputs. ``finite=False``
    lets NaN and inf through (a state that overflowed is still a state).
    """
    if isinstance(value, torch.Tensor):
        tensor = value
    elif isinstance(value, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(value)
        except ValueError as err:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular 2-D array of numbers, got {describe(value)}") from err
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
        ):
            raise TypeError(f"{name} must hold numbers, got {describe(value)}")
        tensor = torch.as_tensor(array.astype(np.float64) if array.dtype != np.float32 else array)
        if dtype is None:
            dtype = torch.get_default_dtype()
    else:
        raise TypeError(
            f"{name} must be a 2-D torch.Tensor, NumPy array or nested list of numbers, got {describe(value)}"
        )
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got {describe(value)}")
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows x columns), got {tensor.ndim}-D with shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(tensor.shape)}")
    if rows is not None and tensor.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {tuple(tensor.shape)}")
    if cols is not None and tensor.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns, got shape {tuple(tensor.shape)}")
    if dtype is None:
        dtype = tensor.dtype if tensor.is_floating_point() else torch.get_default_dtype()
    tensor = tensor.to(dtype)
    if finite and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite, got {describe(value)} holding NaN or inf")
    return tensor


#: the conversion method of a tensor to each floating dtype, for the advice in errors
_METHOD = {torch.float64: "double", torch.float32: "float", torch.float16: "half", torch.bfloat16: "bfloat16"}


def _to(dtype: torch.dtype) -> str:
    return f".{_METHOD[dtype]}()" if dtype in _METHOD else f".to({dtype})"


def check_precision(value: Any, name: str, dtype: torch.dtype, owner: str = "S") -> None:
    """Refuse a tensor that computing in ``dtype`` would round.

    A floating tensor whose dtype does not promote to ``dtype`` (float64 given
    to a float32 operator) raises a TypeError naming both dtypes and the two
    fixes; lower precisions, integers, NumPy arrays and lists pass (they are
    converted without loss, or as the caller's numbers always were).
    """
    if (
        isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and torch.promote_types(value.dtype, dtype) != dtype
    ):
        raise TypeError(
            f"{name} is {value.dtype} but {owner} computes in {dtype}: {name} would be rounded silently. "
            f"Convert one of them: {owner}{_to(value.dtype)} to compute in {value.dtype}, "
            f"or {name}{_to(dtype)} to compute in {dtype}"
        )


def as_input(
    value: Any,
    name: str,
    dtype: torch.dtype,
    *,
    rows: int | None = None,
    owner: str = "S",
    finite: bool = True,
) -> torch.Tensor:
    """The data an operator ``owner`` of ``dtype`` is applied to, checked once where it enters.

    ``as_matrix`` (2-D, ``rows`` rows, finite unless ``finite=False``,
    converted to ``dtype``) after ``check_precision``: a tensor finer than
    ``dtype`` raises instead of being rounded.
    """
    check_precision(value, name, dtype, owner)
    return as_matrix(value, name, rows=rows, dtype=dtype, finite=finite)


def check_mask(value: Any, name: str, n: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Return ``value`` as an n x n floating 0/1 mask."""
    mask = as_matrix(value, name, rows=n, cols=n, dtype=dtype)
    if not bool(((mask == 0) | (mask == 1)).all()):
        bad = mask[(mask != 0) & (mask != 1)].unique()[:5].tolist()
        raise ValueError(f"{name} must hold only 0 and 1, got values such as {bad}")
    return mask


def check_int(value: Any, name: str, *, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {describe(value)}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {value}")
    return value


def check_real(
    value: Any, name: str, *, minimum: float | None = None, strict: bool = False
) -> float:
    """Return ``value`` as a finite float, ``> minimum`` if strict else ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    return value


def check_activation(activation: Callable | None, name: str = "activation") -> Callable | None:
    """Check that ``activation`` can be called as ``activation(Z, k)``."""
    if activation is None:
        return None
    if not callable(activation):
        raise TypeError(f"{name} must be None or a callable activation(Z, k), got {describe(activation)}")
    try:
        inspect.signature(activation).bind(torch.zeros(1, 1), 0)
    except TypeError as err:
        raise TypeError(
            f"{name} must accept two arguments (Z, k) like the seed's activation(X, iteration); "
            f"calling it that way fails: {err}"
        ) from None
    except ValueError:  # builtins without a signature: accept and let the first call tell
        pass
    return activation
