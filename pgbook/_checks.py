"""Input checks shared by the package: every message names the argument, the problem and the value.

Not part of the taught material; the math modules call these so that bad input fails early with
an error a learner can act on, instead of a traceback from deep inside numpy or a silent wrong number.
TypeError means the wrong kind of thing (a string, a bool, a complex number, a float where an
integer is needed); ValueError means the right kind with a bad value (NaN, out of range, wrong shape).
"""
from __future__ import annotations

import numbers

import numpy as np

PROB_TOL: float = 1e-8
"""Tolerance for probability inputs (P, rho, pi tables): entries may stray below 0 or above 1, and
sums away from 1, by at most this much. That absorbs float round-off (a row of thirds, Dirichlet
draws, sums of slip / 4) but not a typed 0.333 for 1/3; rows within it are renormalised by
`check_probability`, so the math downstream always sees exact distributions. (Unnormalised rows
matter: with gamma = 1, a self-loop of probability 1 + 4e-9 in the short corridor, where every
reward is -1, flips the sign of I - P_pi's pivot once the policy rarely leaves that state, and J
came out positive, about +8e8 at p(right) = 3e-9; tests/test_mdp.py holds the corrected value.)"""

_NOT_NUMBERS = (((str, bytes), "a string"), ((bool, np.bool_), "a bool"),
                ((complex, np.complexfloating), "a complex number"), (type(None), "None"))


def as_float_array(name: str, x, ndim: int | None = None) -> np.ndarray:
    """Return `x` as a new float64 array (always a copy: callers may freeze or edit it).

    TypeError for strings (numpy would parse "1.0"), bools, complex values (numpy would drop the
    imaginary part), None and other non-numbers; ValueError for ragged nested lists, NaN/inf
    (the message gives the first bad index) or a number of dimensions other than `ndim`.
    """
    try:
        raw = np.asarray(x)
    except ValueError as err:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of numbers, got a ragged "
                         f"{type(x).__name__}: {err}") from None
    kind = raw.dtype.kind
    if kind in "US":
        raise TypeError(f"{name} must be an array of numbers, got strings: {_short(x)}")
    if kind == "b":
        raise TypeError(f"{name} must be an array of numbers, got bools: {_short(x)}")
    if kind == "c":
        raise TypeError(f"{name} must be an array of real numbers, got complex values {_short(x)} "
                        f"(the imaginary part is never dropped silently; pass x.real if you mean it)")
    if kind not in "fiuO":
        raise TypeError(f"{name} must be an array of numbers, got dtype {raw.dtype}: {_short(x)}")
    if kind == "O" or isinstance(x, (list, tuple)):  # a list may hide a bool among floats
        elements = raw if kind == "O" else np.asarray(x, dtype=object)
        for t in set(map(type, elements.flat)):
            for kinds, label in _NOT_NUMBERS:
                if issubclass(t, kinds):
                    raise TypeError(f"{name} must be an array of numbers, got {label} among its "
                                    f"entries: {_short(x)}")
    try:
        arr = np.array(raw, dtype=np.float64)  # a copy even when raw is already float64
    except (TypeError, ValueError) as err:  # e.g. a sympy Symbol, or a sympy complex number
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}: {err}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.ndim == 0 and not np.isfinite(arr):  # argwhere finds no index in a 0-d array
        raise ValueError(f"{name} is {arr}, expected a finite number")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ValueError(f"{name}{list(idx)} is {arr[idx]}, expected a finite number")
    return arr


def _short(x) -> str:
    """repr of x cut to one line, for error messages (numpy scalars as plain numbers: 2.0, not np.float64(2.0))."""
    text = " ".join((str(x) if isinstance(x, np.generic) else repr(x)).split())
    return text if len(text) <= 80 else text[:77] + "..."


def check_probability(name: str, x, axis: int = -1) -> np.ndarray:
    """Return a renormalised float64 copy of `x`, whose slices along `axis` are distributions.

    ValueError (naming the first bad index and its value) for an entry below -PROB_TOL or above
    1 + PROB_TOL, or a slice whose sum is off 1 by more than PROB_TOL. Within the tolerance, tiny
    negatives are clipped to 0 and every slice is divided by its sum, so the result sums to 1 up to
    round-off and each entry lies in [0, 1]. Shape: the shape of x; `x` itself is never modified.
    """
    x = as_float_array(name, x)
    if x.ndim == 0:
        raise ValueError(f"{name} must be an array of probabilities, got the scalar {float(x)!r}")
    axis = axis % x.ndim
    for bad, expected in ((x < -PROB_TOL, ">= 0"), (x > 1 + PROB_TOL, "<= 1")):
        where = np.argwhere(bad)
        if where.size:
            idx = tuple(int(i) for i in where[0])
            raise ValueError(f"{name}{list(idx)} is {x[idx]:.12g}, expected a probability ({expected}, "
                             f"within PROB_TOL = {PROB_TOL:g})")
    sums = x.sum(axis=axis, keepdims=True)
    where = np.argwhere(np.abs(sums - 1.0) > PROB_TOL)
    if where.size:
        idx = [str(int(i)) for i in where[0]]
        idx[axis] = ":"
        label = name if x.ndim == 1 else f"{name}[{', '.join(idx)}]"
        value = float(sums[tuple(int(i) for i in where[0])])
        raise ValueError(f"{label} sums to {value:.12g}, expected 1 (within PROB_TOL = {PROB_TOL:g})")
    x = np.clip(x, 0.0, None)  # every entry now <= its slice's sum, so <= 1 after dividing
    return x / x.sum(axis=axis, keepdims=True)


def check_real(name: str, value, low: float = -np.inf, high: float = np.inf) -> float:
    """Return `value` as a finite float in [low, high].

    TypeError for anything but a real number (str, bool, complex, None, arrays of more than one
    number); ValueError for NaN, inf, or a value outside [low, high]. Numpy scalars and 0-d real
    arrays are accepted.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_short(value)}")
    value = float(value)
    bounded = np.isfinite(low) or np.isfinite(high)
    if bounded and not (low <= value <= high):  # also rejects NaN
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_int(name: str, value, low: int = 0, high: int | None = None) -> int:
    """Return `value` as an int in [low, high] (high None: no upper limit).

    Only integers are accepted (Python or numpy ints): TypeError for 2.0, 2.9, True, "2", None;
    ValueError outside the range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {_short(value)}")
    value = int(value)
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high}, got {value}")
    return value


def check_positive_int(name: str, value) -> int:
    """Return `value` as an int >= 1; TypeError for non-integers, ValueError for smaller values."""
    return check_int(name, value, low=1)


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return `rng` if it is a numpy Generator; TypeError naming it and its type otherwise.

    No global random state and no legacy RandomState: every draw comes from an explicit
    `np.random.default_rng(seed)`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator, got {type(rng).__name__} {_short(rng)}; "
                        f"make one with np.random.default_rng(seed)")
    return rng


def same_shape(**arrays) -> None:
    """ValueError naming the first array whose shape differs from the first one's."""
    (first, a), *rest = arrays.items()
    for name, b in rest:
        if np.shape(b) != np.shape(a):
            raise ValueError(f"{name} has shape {np.shape(b)} but {first} has shape {np.shape(a)}; expected equal")
