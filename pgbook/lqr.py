"""Continuous linear-quadratic control with a linear Gaussian policy: exact J and grad J (notebook 11).

    s_{t+1} = A s_t + B a_t,   a_t = K s_t + sigma eps_t,   eps_t ~ N(0, I),   s_0 ~ N(mean0, cov0)
    r_t = -(s_t' Q s_t + a_t' R a_t),   J(K) = E[sum_{t<T} gamma^t r_t]

With A_K = A + B K, W = sigma^2 B B' and second moments S_t = E[s_t s_t'] (S_{t+1} = A_K S_t A_K' + W),

    J = -tr((Q + K'RK) X) - sigma^2 tr(R) sum_{t<T} gamma^t,        X = sum_{t<T} gamma^t S_t
    grad_K J = -2 sum_{t<T} gamma^t [(R + gamma B'P_{T-t-1}B) K + gamma B'P_{T-t-1}A] S_t

where P_k = sum_{j<k} gamma^j (A_K')^j (Q + K'RK) A_K^j is the cost-to-go matrix with k steps left.
For T = None (infinite horizon, gamma < 1) the sums are discrete Lyapunov equations,

    X = gamma A_K X A_K' + S_0 + gamma W / (1 - gamma),   P = gamma A_K' P A_K + Q + K'RK,
    grad_K J = -2 [(R + gamma B'PB) K + gamma B'PA] X,

the policy gradient of Fazel, Ge, Kakade & Mesbahi (2018), here with a discount and exploration noise.
`detached_gradient` gives the expectations of the biased pathwise gradients with the state detached.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import solve_discrete_lyapunov

from ._checks import as_float_array, check_int, check_real, check_rng
from .pathwise import _check_detach


def _matrix(name: str, x, shape: tuple[int, int], psd: bool = False, pd: bool = False) -> np.ndarray:
    x = as_float_array(name, x, ndim=2)
    if x.shape != shape:
        raise ValueError(f"{name} has shape {x.shape}, expected {shape}")
    if psd or pd:
        if not np.allclose(x, x.T, rtol=0, atol=1e-12):
            raise ValueError(f"{name} must be symmetric, got {x.tolist()}")
        low = float(np.linalg.eigvalsh(x).min())
        if low < (1e-12 if pd else -1e-12):
            raise ValueError(f"{name} must be positive {'definite' if pd else 'semi-definite'}; "
                             f"its smallest eigenvalue is {low:.6g}")
    x.setflags(write=False)
    return x


@dataclass(frozen=True, eq=False)
class LQ:
    """A linear-quadratic task. A: (n, n), B: (n, m), Q: (n, n) >= 0, R: (m, m) > 0,
    mean0: (n,), cov0: (n, n) >= 0, gamma in (0, 1]. Arrays are validated copies, read-only."""

    A: np.ndarray
    B: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    mean0: np.ndarray
    cov0: np.ndarray
    gamma: float

    def __post_init__(self):
        A = _matrix("A", self.A, (len(np.atleast_1d(self.A)),) * 2)
        n = A.shape[0]
        B = as_float_array("B", self.B, ndim=2)
        m = B.shape[1]
        fields = dict(A=A, B=_matrix("B", B, (n, m)), Q=_matrix("Q", self.Q, (n, n), psd=True),
                      R=_matrix("R", self.R, (m, m), pd=True), mean0=as_float_array("mean0", self.mean0, ndim=1),
                      cov0=_matrix("cov0", self.cov0, (n, n), psd=True),
                      gamma=check_real("gamma", self.gamma, 0.0, 1.0))
        if fields["mean0"].shape != (n,):
            raise ValueError(f"mean0 has shape {fields['mean0'].shape}, expected ({n},)")
        if fields["gamma"] == 0.0:
            raise ValueError("gamma must lie in (0, 1], got 0.0")
        fields["mean0"].setflags(write=False)
        for key, value in fields.items():
            object.__setattr__(self, key, value)

    @property
    def n_states(self) -> int:
        return self.A.shape[0]

    @property
    def n_actions(self) -> int:
        return self.B.shape[1]

    @property
    def S0(self) -> np.ndarray:
        """E[s_0 s_0'] = cov0 + mean0 mean0': (n, n)."""
        return self.cov0 + np.outer(self.mean0, self.mean0)


def double_integrator(dt: float = 0.1, q_velocity: float = 0.1, r: float = 0.1, gamma: float = 0.95,
                      mean0=(1.0, 0.0), std0: float = 0.1) -> LQ:
    """A point mass with position and velocity, pushed by a force (Euler steps of dt):
    s = (x, v), x' = x + dt v, v' = v + dt a; cost x^2 + q_velocity v^2 + r a^2 per step."""
    dt = check_real("dt", dt, 1e-6, 10.0)
    return LQ(A=[[1.0, dt], [0.0, 1.0]], B=[[0.0], [dt]], Q=np.diag([1.0, q_velocity]), R=[[r]],
              mean0=mean0, cov0=np.eye(2) * std0**2, gamma=gamma)


def validate(lq: LQ, K, sigma, T=None) -> tuple[np.ndarray, float, int | None]:
    """(K, sigma, T) checked against the task: K (m, n), sigma >= 0, T a positive int or None (then
    gamma < 1 and sqrt(gamma) (A + B K) stable, else the infinite-horizon cost is infinite)."""
    if not isinstance(lq, LQ):
        raise TypeError(f"lq must be an LQ task, got {type(lq).__name__}")
    K = as_float_array("K", K, ndim=2)
    if K.shape != (lq.n_actions, lq.n_states):
        raise ValueError(f"K has shape {K.shape}, expected (n_actions, n_states) = {(lq.n_actions, lq.n_states)}")
    sigma = check_real("sigma", sigma, 0.0)
    if T is None:
        if lq.gamma == 1.0:
            raise ValueError("T is None (infinite horizon) but gamma = 1: the return is infinite; "
                             "give a horizon T or use gamma < 1")
        radius = float(np.abs(np.linalg.eigvals(np.sqrt(lq.gamma) * (lq.A + lq.B @ K))).max())
        if radius >= 1.0:
            raise ValueError(f"sqrt(gamma) (A + B K) has spectral radius {radius:.6g} >= 1: the discounted "
                             f"cost grows without bound (K = {K.tolist()}); use a stabilising K or a horizon T")
    else:
        T = check_int("T", T, 1)
    return K, sigma, T


def expected_return(lq: LQ, K, sigma: float, T: int | None = None) -> float:
    """J(K) for horizon T (None: infinite, by a Lyapunov equation)."""
    K, sigma, T = validate(lq, K, sigma, T)
    X, _, discount_sum = _moments(lq, K, sigma, T)
    return float(-np.trace((lq.Q + K.T @ lq.R @ K) @ X) - sigma**2 * np.trace(lq.R) * discount_sum)


def policy_gradient(lq: LQ, K, sigma: float, T: int | None = None) -> np.ndarray:
    """grad_K J: (n_actions, n_states), shaped like K."""
    K, sigma, T = validate(lq, K, sigma, T)
    A, B, R, g = lq.A, lq.B, lq.R, lq.gamma
    X, P, _ = _moments(lq, K, sigma, T)
    if T is None:
        return -2 * ((R + g * B.T @ P @ B) @ K + g * B.T @ P @ A) @ X
    S, grad, A_K, W = lq.S0, np.zeros_like(K), A + B @ K, sigma**2 * B @ B.T
    for t in range(T):  # P[k] is the cost-to-go with k steps left: T - t - 1 after step t
        grad -= 2 * g**t * ((R + g * B.T @ P[T - t - 1] @ B) @ K + g * B.T @ P[T - t - 1] @ A) @ S
        S = A_K @ S @ A_K.T + W
    return grad


def detached_gradient(lq: LQ, K, sigma: float, T: int | None = None, detach: str = "reward") -> np.ndarray:
    """E[g] for the pathwise gradient g of one episode with the state detached (`autodiff.lq_episode`):

    "reward"  r_t = -(sg[s_t]'Q sg[s_t] + a_t'R a_t): only the action costs keep a gradient, and
              through the simulator they keep all of it, so g is the pathwise gradient of the same task
              with Q = 0, and E[g] = grad_K J of that task: -2 [(R + gamma B'P_R B) K + gamma B'P_R A] X
              with P_R = gamma A_K' P_R A_K + K'RK (no state cost) and X the task's own.
    "all"     a_t = K sg[s_t] + sigma eps_t as well: g = -2 sum_t gamma^t R a_t s_t', and since eps_t is
              independent of s_t, E[g] = -2 R K X, the first term of grad_K J with P = 0 (myopic).
    "none"    grad_K J itself (`policy_gradient`).
    At T = 1 all three agree (s_0 does not depend on K); from T = 2 on the detached ones in general
    differ from grad_K J (they drop terms of the chain rule). Shaped like K.
    """
    detach = _check_detach(detach)
    K, sigma, T = validate(lq, K, sigma, T)
    if detach == "none":
        return policy_gradient(lq, K, sigma, T)
    if detach == "reward":
        return policy_gradient(replace(lq, Q=np.zeros_like(lq.Q)), K, sigma, T)
    return -2 * lq.R @ K @ _moments(lq, K, sigma, T)[0]


def _moments(lq: LQ, K, sigma, T):
    """X = sum_t gamma^t S_t; P (infinite horizon) or the list P_0..P_T; and sum_t gamma^t."""
    A_K, Q_K, g = lq.A + lq.B @ K, lq.Q + K.T @ lq.R @ K, lq.gamma
    W = sigma**2 * lq.B @ lq.B.T
    if T is None:  # solve_discrete_lyapunov(a, q) solves X = a X a' + q
        X = solve_discrete_lyapunov(np.sqrt(g) * A_K, lq.S0 + g * W / (1 - g))
        P = solve_discrete_lyapunov(np.sqrt(g) * A_K.T, Q_K)
        return X, P, 1 / (1 - g)
    X, S, P = np.zeros_like(A_K), lq.S0, [np.zeros_like(A_K)]
    for t in range(T):
        X += g**t * S
        S = A_K @ S @ A_K.T + W
        P.append(Q_K + g * A_K.T @ P[-1] @ A_K)
    return X, P, sum(g**t for t in range(T))


def sample_start(lq: LQ, n_episodes: int, rng: np.random.Generator) -> np.ndarray:
    """n_episodes start states s_0 ~ N(mean0, cov0): (N, n)."""
    n_episodes, rng = check_int("n_episodes", n_episodes, 1), check_rng(rng)
    return rng.multivariate_normal(lq.mean0, lq.cov0, size=n_episodes, method="cholesky")


def rollout(lq: LQ, K, sigma: float, s0, eps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate N episodes given start states s0 (N, n) and noise eps (N, T, m).

    Returns states (N, T + 1, n), actions (N, T, m) and rewards (N, T); all episodes step together.
    """
    K, sigma, _ = validate(lq, K, sigma, 1)
    s0, eps = as_float_array("s0", s0, ndim=2), as_float_array("eps", eps, ndim=3)
    N, T, _ = eps.shape
    if s0.shape != (N, lq.n_states) or eps.shape[2] != lq.n_actions:
        raise ValueError(f"s0 has shape {s0.shape} and eps {eps.shape}; expected (N, n_states) = "
                         f"(N, {lq.n_states}) and (N, T, n_actions) = (N, T, {lq.n_actions}) with one N")
    s, a = np.empty((T + 1, N, lq.n_states)), np.empty((T, N, lq.n_actions))  # time-major: contiguous steps
    noise = sigma * np.moveaxis(eps, 1, 0)
    s[0] = s0
    for t in range(T):  # a loop over time; episodes are the rows
        a[t] = s[t] @ K.T + noise[t]
        s[t + 1] = s[t] @ lq.A.T + a[t] @ lq.B.T
    r = -(np.einsum("tni,ij,tnj->nt", s[:-1], lq.Q, s[:-1]) + np.einsum("tni,ij,tnj->nt", a, lq.R, a))
    return np.moveaxis(s, 0, 1), np.moveaxis(a, 0, 1), r


def rewards_to_go(lq: LQ, K, sigma: float, s0, eps, weights) -> tuple[np.ndarray, np.ndarray]:
    """G_t = sum_{t' >= t} weights_t' r_t' for every episode and step (N, T), and dG_t/dK (N, T, m, n)
    for the fixed noise eps, by forward-mode differentiation of `rollout` (no autodiff):

        ds_0 = 0,   da_t = K ds_t + dK s_t,   ds_{t+1} = A ds_t + B da_t,   dr_t = -2 (s_t'Q ds_t + a_t'R da_t)

    for each entry of K in turn. dG_0/dK is the pathwise gradient of one episode's weighted return.
    s0: (N, n), eps: (N, T, m), weights: (T,).
    """
    s, a, r = rollout(lq, K, sigma, s0, eps)
    K, weights = np.asarray(K, dtype=float), as_float_array("weights", weights, ndim=1)
    (N, T, m), n = a.shape, lq.n_states
    if weights.shape != (T,):
        raise ValueError(f"weights has shape {weights.shape}, expected (T,) = ({T},) to match eps")
    dK = np.eye(m * n).reshape(m * n, m, n)  # a unit change of each entry of K
    ds, dr = np.zeros((N, m * n, n)), np.zeros((N, T, m * n))
    for t in range(T):
        da = ds @ K.T + np.einsum("pij,Nj->Npi", dK, s[:, t])
        dr[:, t] = -2 * (np.einsum("Ni,ij,Npj->Np", s[:, t], lq.Q, ds) + np.einsum("Ni,ij,Npj->Np", a[:, t], lq.R, da))
        ds = ds @ lq.A.T + da @ lq.B.T
    back = lambda x: np.cumsum(x[:, ::-1], axis=1)[:, ::-1]  # sum over t' >= t
    return back(r * weights), back(dr * weights[:, None]).reshape(N, T, m, n)
