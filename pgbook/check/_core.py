"""What every checker shares: the `Verdict` it returns and comparisons that say what is wrong.

A checker compares a learner's answer with an answer computed independently (sympy, exact linear
algebra), never with a number typed into the checker. Messages name what was expected, what was
given, and where they first differ, and give a hint when a typical mistake is recognised.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np


@dataclass(frozen=True)
class Verdict:
    """ok: whether the answer is right; message: one or more lines for the learner."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return ("Correct. " if self.ok else "Not yet. ") + self.message

    def _repr_markdown_(self) -> str:
        return ("**Correct.** " if self.ok else "**Not yet.** ") + self.message


def returned_none(call: str) -> Verdict:
    """The verdict on an unfinished answer: a function whose body is still the student edition's
    `...` (or has no `return`) returns None, and saying so beats any message about its value."""
    return Verdict(False, f"{call} returned None: is the `return` line missing?")


def _as_array(name: str, answer) -> np.ndarray | None:
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def close(name: str, answer, expected, rtol: float = 1e-6, atol: float = 1e-9,
          hints: Iterable[tuple[Callable[[np.ndarray], bool], str]] = ()) -> Verdict:
    """Compare a number or array with the expected one; `hints` are (test, text) pairs tried on a
    wrong answer, e.g. (lambda a: np.allclose(a, -expected), "check the sign")."""
    if answer is None:  # np.asarray(None, float) is NaN: say what happened instead
        return returned_none(name)
    expected = np.asarray(expected, dtype=np.float64)
    got = _as_array(name, answer)
    if got is None:
        return Verdict(False, f"{name} should be a number or an array of numbers, got {type(answer).__name__}.")
    if got.shape != expected.shape:
        return Verdict(False, f"{name} has shape {got.shape}, expected {expected.shape}.")
    if not np.all(np.isfinite(got)):
        return Verdict(False, f"{name} contains NaN or infinity: {_fmt(got)}.")
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return Verdict(True, f"{name} = {_fmt(expected)} matches the exact answer.")
    for test, text in hints:
        if test(got):
            return Verdict(False, f"{name} is not right: {text}")
    where = "" if got.ndim == 0 else (
        f" (first difference at index {tuple(int(i) for i in np.argwhere(~np.isclose(got, expected, rtol=rtol, atol=atol))[0])})")
    return Verdict(False, f"{name} = {_fmt(got)}, expected "
                          f"{_fmt(expected)}{where}.")


def function_matches(name: str, func: Callable, reference: Callable, inputs: Iterable[tuple],
                     rtol: float = 1e-6, atol: float = 1e-9,
                     hints: Iterable[tuple[Callable[[np.ndarray, np.ndarray], bool], str]] = ()) -> Verdict:
    """Call `func` and `reference` on every tuple of `inputs`; the first disagreement is reported
    with the input that shows it. `hints` are (test(got, expected), text) pairs."""
    if not callable(func):
        return Verdict(False, f"{name} should be a function, got {type(func).__name__}.")
    inputs = list(inputs)
    for args in inputs:
        expected = np.asarray(reference(*args), dtype=np.float64)
        try:
            got = func(*args)
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{name}{_show(args)} raised {type(err).__name__}: {err}")
        if got is None:
            return returned_none(f"{name}{_show(args)}")
        got_arr = _as_array(name, got)
        if got_arr is None or got_arr.shape != expected.shape:
            shape = "not an array of numbers" if got_arr is None else f"shape {got_arr.shape}"
            return Verdict(False, f"{name}{_show(args)} returned {shape}, expected shape {expected.shape}.")
        if not np.allclose(got_arr, expected, rtol=rtol, atol=atol):
            for test, text in hints:
                if test(got_arr, expected):
                    return Verdict(False, f"{name}{_show(args)}: {text}")
            return Verdict(False, f"{name}{_show(args)} = {_fmt(got_arr)}, expected "
                                  f"{_fmt(expected)}.")
    return Verdict(True, f"{name} agrees with the exact answer on all {len(inputs)} test inputs.")


def _fmt(x) -> str:
    """A number as 6 significant digits, an array as a list of them: deterministic and short."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return f"{float(x):.6g}"
    return np.array2string(x, formatter={"float_kind": lambda v: f"{v:.6g}"}, separator=", ")


def _show(args: tuple) -> str:
    return "(" + ", ".join(_fmt(a) if isinstance(a, (np.ndarray, list, float, int)) else repr(a)
                           for a in args) + ")"
