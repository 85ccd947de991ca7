"""Input checks shared by the public functions.

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError``
(right kind, wrong value) with a message that names the argument, what was
expected and what was given, before any torch operation can fail with an
internal message.

One input policy, whatever the container (tensor, NumPy array, nested list):

- **Precision.** An object computes in one floating dtype (an operator's, a
  map's, X's for ``exact``). A floating *tensor* finer than that dtype (float64
  given to float32) is refused with a TypeError naming both dtypes
  (``check_precision``), never rounded: data, U, Init, bias, hidden states
  alike. Lists, arrays, integers and booleans are the caller's numbers and are
  converted (0/1 masks too: they are exact in every dtype).
- **Booleans and integers** are numbers (False = 0, True = 1), converted exactly.
- **NaN and inf.** What a function solves or trains from (X, Y, U, Init, a
  bias) must be finite. A map's forward (``S(X)``, ``IteratedMap(x)``,
  ``RecurrentMap(x)``) lets them through, as ``nn.Linear`` does: a state that
  overflowed is still a state. Either way the answer is the same for a tensor
  and for a list holding the same numbers.
- Tensors on the ``meta`` device (shapes only) pass the value checks (they
  have no values); what is built from them is built on their device.
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
    "as_tensor",
    "check_activation",
    "check_dtype",
    "check_generator",
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
        tensor = _numbers(value, name, "2-D array")
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
    if finite and not tensor.is_meta and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite, got {describe(value)} holding NaN or inf")
    return tensor


def _numbers(value: np.ndarray | list | tuple, name: str, what: str = "array") -> torch.Tensor:
    """An array or nested list of real numbers (bool, int, float) as a new tensor: float32 kept, the rest float64."""
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular {what} of numbers, got {describe(value)}") from err
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        raise TypeError(f"{name} must hold numbers, got {describe(value)}")
    return torch.as_tensor(array.astype(np.float64) if array.dtype != np.float32 else array)


def as_tensor(
    value: Any,
    name: str,
    dtype: torch.dtype,
    *,
    owner: str,
    fix: str | None = None,
    finite: bool = True,
    expected: str = "a tensor, NumPy array or nested list of numbers",
) -> torch.Tensor:
    """``value`` (real numbers of any shape) as a tensor of ``dtype``, by the policy above.

    A tensor finer than ``dtype`` raises (``check_precision(value, name, dtype,
    owner, fix)``); complex numbers and other objects raise a TypeError
    (``expected`` says what was wanted); NaN and inf raise unless
    ``finite=False``. The shape is the caller's to check.
    """
    check_precision(value, name, dtype, owner, fix)  # the caller's tensor; arrays and lists are converted
    if isinstance(value, (np.ndarray, list, tuple)):
        value = _numbers(value, name)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be {expected}, got {describe(value)}")
    if value.is_complex():
        raise TypeError(f"{name} must be real numbers, got {describe(value)}")
    tensor = value.to(dtype)
    if finite and not tensor.is_meta and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite, got {describe(value)} holding NaN or inf")
    return tensor


def check_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """``dtype`` as a floating ``torch.dtype``; None is torch's default dtype."""
    if dtype is None:
        return torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        named = isinstance(dtype, str) and isinstance(getattr(torch, dtype, None), torch.dtype)
        hint = f" (write torch.{dtype})" if named else ""
        raise TypeError(f"{name} must be a floating torch.dtype such as torch.float32 or torch.float64, "
                        f"got {describe(dtype)}{hint}")
    return dtype


def check_generator(generator: Any, name: str = "generator") -> torch.Generator | None:
    """``generator`` if it is None or a ``torch.Generator``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None (e.g. torch.Generator().manual_seed(0)), "
                        f"got {describe(generator)}")
    return generator


#: the conversion method of a tensor to each floating dtype, for the advice in errors
_METHOD = {torch.float64: "double", torch.float32: "float", torch.float16: "half", torch.bfloat16: "bfloat16"}


def _to(dtype: torch.dtype) -> str:
    return f".{_METHOD[dtype]}()" if dtype in _METHOD else f".to({dtype})"


def check_precision(value: Any, name: str, dtype: torch.dtype, owner: str = "S", fix: str | None = None) -> None:
    """Refuse a tensor that computing in ``dtype`` would round.

    A floating tensor whose dtype does not promote to ``dtype`` (float64 given
    to a float32 operator) raises a TypeError naming both dtypes and the two
    fixes; lower precisions, integers, NumPy arrays and lists pass (they are
    converted without loss, or as the caller's numbers always were). The
    first fix is ``owner.double()`` (for ``value`` float64), or ``fix`` with
    ``{to}`` replaced by ``.double()`` and ``{dtype}`` by ``torch.float64``.
    """
    if (
        isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and torch.promote_types(value.dtype, dtype) != dtype
    ):
        first = f"{owner}{_to(value.dtype)}" if fix is None else fix.format(to=_to(value.dtype), dtype=value.dtype)
        raise TypeError(
            f"{name} is {value.dtype} but {owner} computes in {dtype}: {name} would be rounded silently. "
            f"Convert one of them: {first} to compute in {value.dtype}, "
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


def _function_name(fn: Callable) -> str:
    """How ``fn`` is written in code: ``torch.tanh``, ``my_function``."""
    module, short = getattr(fn, "__module__", None), getattr(fn, "__name__", type(fn).__name__)
    return f"{module}.{short}" if module and module not in ("builtins", "__main__") else short


def check_activation(activation: Callable | None, name: str = "activation") -> Callable | None:
    """Check that ``activation`` can be called as ``activation(Z, j)``.

    Python functions are checked by their signature. A builtin has none
    (``torch.tanh``): it is called once on a 1 x 1 zero state, since a function
    of Z alone would otherwise pass here and fail at the first iteration.
    """
    if activation is None:
        return None
    if not callable(activation):
        raise TypeError(f"{name} must be None or a callable activation(Z, j), got {describe(activation)}")
    try:
        inspect.signature(activation).bind(torch.zeros(1, 1), 0)
        return activation
    except TypeError as err:
        reason = str(err)
    except ValueError:  # a builtin without a signature
        try:
            activation(torch.zeros(1, 1), 0)
            return activation
        except TypeError as err:
            reason = str(err)
        except Exception:  # noqa: BLE001 - it takes (Z, j); the first real call tells the rest
            return activation
    fn = _function_name(activation)
    raise TypeError(
        f"{name} must accept two arguments (Z, j) like the seed's activation(X, iteration); "
        f"calling {fn}(Z, j) fails: {reason}. A function of Z alone goes in as "
        f"lambda Z, j: {fn}(Z), or as course_utils.activations.Elementwise({fn})"
    ) from None
