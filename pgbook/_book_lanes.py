"""The engine of `learn.book_reinforce`: every run advances on its own, one step per iteration.

Sutton & Barto's REINFORCE (2018, sections 13.3-13.4) is sequential within a run: sample an episode
with theta, update theta step by step along it, sample the next episode. Advancing R runs in lock-step
makes every episode cost as many iterations as the longest of R episodes (on Figure 13.1, 16% of the
work was useful). Here each run is a lane of arrays, and at each iteration every lane takes one step
of its own phase:

    sampling:  a_t ~ pi(.|s_t, theta), s_{t+1} ~ P(.|s_t, a_t), logged in the lane's buffer (theta is
               the one the episode began with: it does not change while the lane samples);
    updating:  step t of the book's update for the episode just sampled (G_t precomputed).

Both phases need pi(.|s, theta) at the lane's current state and theta: one softmax serves both. A lane
whose phase ends waits until 1/WAIT of the lanes wait; `_switch` then handles them together (returns,
the next episode, records, bigger buffers, stopped or finished runs), since its numpy calls cost about
the same for one lane as for many.

Random numbers: run r reads its own stream of uniforms, from `rngs[r]` (see `learn.book_reinforce`),
in the order of `rollout.sample_episodes(..., 1, rng, max_steps)` called episode after episode: one
for the start state, then per step one for the action and one for the next state, each turned into an
outcome by `rollout.draw`'s inverse transform. So run r is exactly the plain one-run loop driven by
rngs[r]. The streams are read from per-lane blocks of FIFO uniforms refilled from the generators.
"""
from __future__ import annotations

import numpy as np

from ._episodes import backward_sums
from .estimators import check_truncation
from .exact import expected_length
from .mdp import TabularMDP
from .policies import SoftmaxPolicy, softmax
from .rollout import Episodes, categorical_table, draw

_TINY = np.nextafter(0.0, 1.0)  # u = 0 must pick the first action of positive probability (rollout.draw)
_UNIFORMS = 2**22  # uniforms held for all lanes together (32 MB), in blocks of at most 2048 per lane
_PAIR = np.array([[0], [1]])  # a step's two uniforms: the action's, then the next state's
_SIGNS = np.array([[-1.0], [1.0]])  # d x / d logits, x = logit of action 1 - logit of action 0


def refuse_cut(mdp: TabularMDP, pi: np.ndarray, episodes: Episodes, where: str, hint: str = "") -> None:
    """`estimators.check_truncation`'s ValueError for episodes sampled with the table pi (S, A) of
    which some were cut at max_steps, with the exact expected episode length and where it happened."""
    try:
        length = expected_length(mdp, pi)
    except ValueError as err:  # finite but beyond float64: say so, and give the sample's lower bound
        length, hint = None, f"{hint}; the exact expected length: {str(err).rstrip('.')}"
    try:
        check_truncation(episodes, mdp.gamma, "raise", expected_length=length)
    except ValueError as err:
        raise ValueError(f"{where}: {str(err).rstrip('.')}{hint}.") from None


class Lanes:
    """The runs of `book_reinforce` (module docstring). Arrays keep the lanes on their last axis, since
    numpy pays per row for short rows: theta (P, n) (P = d, or S A for a tabular policy), w (n_w, n),
    logits (S A, n); per lane (n,): k episodes done, f its flat position lane (W + 1) + t in the buffers
    bs, ba (states, actions) and bg (G_t with a learned baseline, else alpha gamma^t G_t), end where
    its phase ends, s_env its state while sampling, q where its next uniform is in U, and the masks
    upd (in the update phase), on (advances), move (samples), learn (1.0 where it updates). Slot W
    of a lane is scratch for waiting lanes."""

    WAIT = 3  # lanes wait for `_switch` until 1/WAIT of them do: fewer switches, a few idle steps

    def __init__(self, mdp: TabularMDP, policy: SoftmaxPolicy, theta: np.ndarray, alpha: np.ndarray,
                 alpha_w: float | None, scalar_baseline: bool, n_episodes: int, max_steps: int,
                 truncation: str, rngs: list[np.random.Generator]) -> None:
        R, E = theta.shape[0], n_episodes
        self.mdp, self.policy, self.rngs, self.E, self.max_steps = mdp, policy, rngs, E, max_steps
        self.alpha, self.alpha_w, self.scalar, self.truncation = alpha, alpha_w, scalar_baseline, truncation
        self.S, self.A = mdp.n_states, mdp.n_actions
        self.phi2 = None if policy.is_tabular else policy.phi.reshape(self.S * self.A, -1)  # (S A, d)
        self.P_table, self.rho_table = categorical_table(mdp.P), categorical_table(mdp.rho)
        live = np.flatnonzero(~mdp.terminal)
        self.s_rest = int(live[0]) if live.size else 0  # where lanes not sampling "are": never terminal
        n_w = 1 if scalar_baseline else self.S
        self.returns, self.lengths = np.full((R, E), np.nan), np.zeros((R, E), dtype=np.int64)
        self.theta_hist, self.w_hist = np.empty((R, E + 1, theta.shape[1])), np.zeros((R, E + 1, n_w))
        self.theta_hist[:, 0] = theta
        self.stopped = np.full(R, E)
        self.run, self.theta, self.w, self.k = np.arange(R), theta.T.copy(), np.zeros((n_w, R)), np.zeros(R, np.int64)
        self.upd, self.on, self.move, self.learn = np.zeros(R, bool), np.ones(R, bool), np.ones(R, bool), np.zeros(R)
        self.f, self.end, self.s_env, self.dead = (np.zeros(R, np.int64), np.zeros(R, np.int64),
                                                   np.zeros(R, np.int64), np.zeros(R, bool))
        self.block = int(np.clip(_UNIFORMS // R, 64, 2048))
        self.U, self.q = np.zeros(R * self.block), np.arange(1, R + 1) * self.block  # empty: filled below
        self.W, self.n_alive, self.ended = 0, R, np.zeros(R, bool)
        self._resize(np.arange(R), min(max_steps, 64))
        self._refill(np.arange(R))
        self._begin(np.arange(R))

    def run_all(self) -> tuple[np.ndarray, ...]:
        """(returns, lengths, theta history (R, E+1, P), w history, stopped) once every run is done."""
        while self.n_alive:
            self._steps()
            self._switch()
        return self.returns, self.lengths, self.theta_hist, self.w_hist, self.stopped

    def _steps(self) -> None:
        """Advance every lane that is not waiting by one step until 1/WAIT of the live lanes wait.

        With two actions (the book's examples), pi(0|s) = 1 / (1 + exp(x)), x the logit of action 1
        minus that of action 0, and grad log pi(a|s) = (a - pi(1|s)) (phi[s, 1] - phi[s, 0]): one
        number per lane instead of a softmax over A logits (a third fewer numpy calls per step)."""
        S, A, n, term, P_table, phi2 = self.S, self.A, self.run.size, self.mdp.terminal, self.P_table, self.phi2
        theta, f, end, upd, on, move, learn = self.theta, self.f, self.end, self.upd, self.on, self.move, self.learn
        bs, ba, bg, s_env, alpha, alpha_w, U, q = (self.bs, self.ba, self.bg, self.s_env, self.alpha,
                                                   self.alpha_w, self.U, self.q)
        lane, actions = np.arange(n), np.arange(A)[:, None]
        column = actions * n + lane  # (A, n): flat index of logits[a, lane] in (S A, n)
        two = A == 2
        if two and phi2 is not None:
            dphi = self.policy.phi[:, 1] - self.policy.phi[:, 0]  # (S, d): phi[s, 1] - phi[s, 0]
            dphi_T = np.ascontiguousarray(dphi.T)  # (d, S)
        n_move, n_wait, pair = np.count_nonzero(move), 0, 2 * move
        budget = self._budget()  # iterations before some lane may run out of uniforms
        with np.errstate(over="ignore"):  # exp(x) = inf for |logits| in the hundreds: pi(0|s) = 0, exact
            while True:
                s = np.where(upd, bs.take(f), s_env)  # each lane's current state
                if two and phi2 is not None:
                    p0 = 1.0 / (1.0 + np.exp((dphi @ theta).take(s * n + lane)))  # pi(0|s, theta): (n,)
                else:
                    zi = column + (A * n) * s  # flat index of logits[A s + a, lane]: the lane's logits in s
                    z = (theta if phi2 is None else phi2 @ theta).take(zi)
                    if two:
                        p0 = 1.0 / (1.0 + np.exp(z[1] - z[0]))
                    else:
                        p = softmax(z, axis=0)  # pi(a|s, theta): (A, n)
                a = ba.take(f)
                if n_move:  # uniforms q (action), q + 1 (next state) of each lane; only sampling lanes use them
                    if budget == 0:
                        budget = self._refill(np.flatnonzero(~self.dead))
                    budget -= 1
                    u = U.take(q + _PAIR, mode="clip")  # lanes that do not sample may be out of uniforms
                    q += pair
                    drawn = p0 < np.maximum(u[0], _TINY) if two else self._actions(p, u[0])
                    a = np.where(upd, a, drawn)
                    s_env = np.where(move, draw(P_table, A * s + a, u[1]), s_env)
                if alpha_w is None:
                    c = bg.take(f) * learn  # alpha gamma^t G_t on lanes updating, else 0
                else:  # delta = G_t - w[j];  w[j] += alpha_w delta;  c = alpha gamma^t delta
                    j = lane if self.scalar else s * n + lane
                    v = self.w.take(j)
                    delta = bg.take(f) - v
                    self.w.put(j, v + alpha_w * delta * learn)
                    c = alpha * self.discounts.take(f - self.base) * delta * learn
                if two:  # c d log pi(a|s) / dx = c (a - pi(1|s)) = c (a + pi(0|s) - 1)
                    h = c * (a + p0 - 1.0)
                    if phi2 is None:
                        theta.put(zi, theta.take(zi) + h * _SIGNS)
                    else:
                        theta += h * dphi_T.take(s, axis=1)
                else:
                    g = (a == actions) - p  # grad log pi(a|s) with respect to the logits of s: (A, n)
                    if phi2 is None:
                        theta.put(zi, theta.take(zi) + c * g)
                    else:
                        Z = np.zeros((S * A, n))
                        Z.put(zi, g)
                        theta += c * (phi2.T @ Z)  # c (phi[s, a] - sum_b pi(b|s) phi[s, b])
                bs.put(f, s)
                ba.put(f, a)
                f += on
                ended = (f == end) | term.take(s_env)
                n_end = np.count_nonzero(ended)
                if n_end > n_wait:
                    on[ended] = move[ended] = False
                    learn[ended] = 0.0
                    n_move, n_wait, pair = np.count_nonzero(move), n_end, 2 * move
                    if n_wait * self.WAIT >= self.n_alive:
                        break
        self.s_env, self.ended = s_env, ended

    def _actions(self, p: np.ndarray, u: np.ndarray) -> np.ndarray:
        """a ~ p (A, n) from uniforms u (n,), exactly as rollout.draw: the first action of positive
        probability whose running sum of probabilities reaches u."""
        u = np.maximum(u, _TINY)
        if self.A == 2:
            return p[0] < u
        a = (np.cumsum(p[:-1], axis=0) < u).sum(axis=0)
        bad = np.flatnonzero(p.reshape(-1).take(a * p.shape[1] + np.arange(a.size)) == 0)
        if bad.size:  # rounding ran past the last action of positive probability: draw them exactly
            a[bad] = draw(categorical_table(p[:, bad].T), np.arange(bad.size), u[bad])
        return a

    def _budget(self) -> int:
        """How many steps every live lane can still sample before its uniforms run out."""
        left = (np.arange(1, self.run.size + 1) * self.block - self.q)[~self.dead]
        return int(left.min(initial=self.block)) // 2

    def _refill(self, lanes: np.ndarray) -> int:
        """Top up the lanes with less than half a block of uniforms left, from their runs' generators;
        the new budget."""
        end = (lanes + 1) * self.block
        for i, left in zip(lanes, end - self.q[lanes]):
            if left < self.block // 2:
                row = self.U[i * self.block:(i + 1) * self.block]
                row[:left] = row[self.block - left:]  # the unread ones first, then fresh ones: order kept
                row[left:] = self.rngs[self.run[i]].random(self.block - left)
                self.q[i] = i * self.block
        return self._budget()

    def _switch(self) -> None:
        """Handle the waiting lanes: finished samples start updating, finished updates start the next
        episode (or end the run); lanes whose buffer is full get a bigger one."""
        sampled, updated = np.flatnonzero(self.ended & ~self.upd), np.flatnonzero(self.ended & self.upd)
        W, grow = self.W, False
        if W < self.max_steps:  # lanes whose buffer is full go on sampling once it has grown, below
            full = (self.f[sampled] - self.base[sampled] == W) & ~self.mdp.terminal[self.s_env[sampled]]
            grow = full.any()
            sampled = sampled[~full]
        self._sampled(sampled)
        self._begin(self._next_episode(updated))
        if grow or 4 * self.n_alive < 3 * self.run.size:
            self._resize(np.flatnonzero(~self.dead), min(2 * W, self.max_steps) if grow else W)

    def _sampled(self, rows: np.ndarray) -> None:
        """Lanes that finished sampling an episode: record it, precompute G_t, start updating."""
        T = self.f[rows] - self.base[rows]
        cut = ~self.mdp.terminal[self.s_env[rows]]  # still running after max_steps steps
        if self.truncation != "accept" and cut.any():
            if self.truncation == "raise":
                self._refuse(rows[cut][0])
            self._stop(rows[cut])
            rows, T = rows[~cut], T[~cut]
        if rows.size == 0:
            return
        t = np.arange(T.max())
        idx = self.base[rows, None] + t  # slots past an episode's end stay inside its lane: unused
        r = self.mdp.R.reshape(-1).take(self.A * self.bs.take(idx) + self.ba.take(idx)) * (t < T[:, None])
        G = backward_sums(r, self.mdp.gamma)
        coef = G if self.alpha_w is not None else self.alpha[rows, None] * self.discounts[:t.size] * G
        self.bg.put(idx, coef)
        at = self.run[rows] * self.E + self.k[rows]
        self.returns.put(at, r.sum(axis=1))
        self.lengths.put(at, T)
        self._enter(rows, True, self.f[rows], self.s_rest)

    def _enter(self, rows: np.ndarray, updating: bool, end: np.ndarray, s_env) -> None:
        """Lanes that start a phase at the first slot of their buffers: updating until `end`, or
        sampling from the states `s_env` (lanes that update "are" in s_rest, never terminal)."""
        self.upd[rows], self.f[rows], self.end[rows], self.s_env[rows] = updating, self.base[rows], end, s_env
        self.on[rows], self.move[rows], self.learn[rows] = True, not updating, float(updating)

    def _next_episode(self, rows: np.ndarray) -> np.ndarray:
        """Lanes that finished an episode: record theta and w, retire finished runs; the others."""
        k = self.k[rows] + 1
        self.k[rows] = k
        self.theta_hist[self.run[rows], k] = self.theta[:, rows].T
        self.w_hist[self.run[rows], k] = self.w[:, rows].T
        done = k == self.E
        if done.any():
            self._retire(rows[done])
            rows = rows[~done]
        return rows

    def _begin(self, rows: np.ndarray) -> None:
        """Start the next episode of these lanes: draw start states and sample from there."""
        while rows.size:
            if (self.q[rows] >= (rows + 1) * self.block).any():
                self._refill(rows)
            s0 = draw(self.rho_table, np.zeros(rows.size, np.int64), self.U.take(self.q[rows]))
            self.q[rows] += 1
            empty = self.mdp.terminal[s0]
            go = rows[~empty]
            self._enter(go, False, self.base[go] + self.W, s0[~empty])
            rows = rows[empty]  # started in a terminal state: an episode of no steps, return 0
            if rows.size:
                self.returns[self.run[rows], self.k[rows]] = 0.0
                rows = self._next_episode(rows)

    def _retire(self, rows: np.ndarray) -> None:
        """These lanes' runs are over: park them where they neither advance nor look ended."""
        self.dead[rows], self.upd[rows], self.on[rows], self.move[rows], self.learn[rows] = True, False, False, False, 0
        self.f[rows], self.end[rows], self.s_env[rows] = self.base[rows] + self.W, -1, self.s_rest
        self.n_alive -= rows.size

    def _stop(self, rows: np.ndarray) -> None:
        """truncation="stop": the run ends at its current episode, theta and w frozen from there."""
        for i in rows:
            r, k = self.run[i], self.k[i]
            self.stopped[r] = k
            self.theta_hist[r, k + 1:], self.w_hist[r, k + 1:] = self.theta[:, i], self.w[:, i]
        self._retire(rows)

    def _refuse(self, i: int) -> None:
        """truncation="raise": the ValueError for lane i's cut episode."""
        idx = self.base[i] + np.arange(self.max_steps)
        s, a = self.bs[idx][None], self.ba[idx][None]
        episode = Episodes.from_padded(s, a, self.mdp.R[s, a], np.ones(s.shape, bool), np.array([True]),
                                       self.max_steps)
        pi = self.policy.probs(self.theta[:, i].reshape(self.policy.theta_shape))
        refuse_cut(self.mdp, pi, episode, f"book_reinforce, run {self.run[i]}, episode {self.k[i]}",
                   "; book_reinforce also offers truncation='stop' (stop such a run, see BookRun.stopped)")

    def _resize(self, keep: np.ndarray, W: int) -> None:
        """Keep the lanes `keep` (dropping retired ones) with buffers of W + 1 slots per lane."""
        n_old, t, e = self.run.size, self.f - self.base if self.W else self.f, self.end - self.f
        q = self.q - np.arange(n_old) * self.block
        for name in ("run", "k", "alpha", "upd", "on", "move", "learn", "s_env", "dead", "ended"):
            setattr(self, name, getattr(self, name)[keep])
        self.theta, self.w = np.ascontiguousarray(self.theta[:, keep]), np.ascontiguousarray(self.w[:, keep])
        self.U = self.U.reshape(n_old, self.block)[keep].reshape(-1)
        self.q = np.arange(keep.size) * self.block + q[keep]
        for name, dtype in (("bs", np.int64), ("ba", np.int64), ("bg", np.float64)):
            new = np.zeros((keep.size, W + 1), dtype)
            if self.W:
                new[:, :self.W + 1] = getattr(self, name).reshape(n_old, self.W + 1)[keep]
            setattr(self, name, new.reshape(-1))
        self.W, self.n_alive, self.discounts = W, np.count_nonzero(~self.dead), self.mdp.gamma ** np.arange(W + 1)
        self.base = np.arange(keep.size) * (W + 1)
        self.f = self.base + t[keep]
        self.end = np.where(self.upd, self.f + e[keep], self.base + W)  # sampling lanes may now go to W
        waiting = ~self.on & ~self.upd & ~self.dead  # lanes whose buffer was full: sample on
        self.on[waiting] = self.move[waiting] = True

