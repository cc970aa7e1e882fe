"""A finite Markov decision process held as arrays (introduced in notebook 03).

Shapes: S states, A actions.

    P[s, a, s']  Pr(s' | s, a)                      (S, A, S)
    R[s, a]      expected reward for a in s         (S, A)
    rho[s]       start distribution                 (S,)
    gamma        discount in [0, 1]
    terminal[s]  True for absorbing states where the episode ends (S,)

An episode that enters a terminal state stops there: no action is taken and no reward is earned
in a terminal state, so its rows of P and R are ignored by `pgbook.exact` and `pgbook.rollout`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import PROB_TOL, as_float_array, check_probability, check_real

__all__ = ["PROB_TOL", "TabularMDP"]


def _freeze(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class TabularMDP:
    """Validated, immutable tabular MDP. Arrays are copied on construction and made read-only.

    Rows of P and rho must be distributions within `PROB_TOL` = 1e-8 (`pgbook.mdp.PROB_TOL`); the stored
    copies are renormalised, so every stored row sums to 1 up to round-off.
    """

    P: np.ndarray
    R: np.ndarray
    rho: np.ndarray
    gamma: float
    terminal: np.ndarray | None = None

    def __post_init__(self) -> None:
        P = as_float_array("P", self.P, ndim=3)
        S, A, S2 = P.shape
        if S != S2 or S == 0 or A == 0:
            raise ValueError(f"P must have shape (S, A, S) with S, A >= 1, got {P.shape}")
        P = check_probability("P", P, axis=2)  # rows within PROB_TOL renormalised: exact distributions
        R = as_float_array("R", self.R, ndim=2)
        if R.shape != (S, A):
            raise ValueError(f"R has shape {R.shape}, expected (S, A) = {(S, A)} to match P")
        rho = as_float_array("rho", self.rho, ndim=1)
        if rho.shape != (S,):
            raise ValueError(f"rho has shape {rho.shape}, expected (S,) = {(S,)} to match P")
        rho = check_probability("rho", rho)
        gamma = check_real("gamma", self.gamma, 0.0, 1.0)
        if self.terminal is None:
            terminal = np.zeros(S, dtype=bool)
        else:
            terminal = np.array(self.terminal)
            if terminal.dtype != np.bool_:
                raise TypeError(f"terminal must be a boolean array, got dtype {terminal.dtype}")
            if terminal.shape != (S,):
                raise ValueError(f"terminal has shape {terminal.shape}, expected (S,) = {(S,)}")
        # frozen dataclass: assign the validated copies through object.__setattr__
        for name, value in (("P", P), ("R", R), ("rho", rho), ("terminal", terminal)):
            object.__setattr__(self, name, _freeze(value))
        object.__setattr__(self, "gamma", gamma)

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    def __repr__(self) -> str:
        return (f"TabularMDP(n_states={self.n_states}, n_actions={self.n_actions}, "
                f"gamma={self.gamma:g}, n_terminal={int(self.terminal.sum())})")
