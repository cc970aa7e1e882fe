"""pgbook.estimators against independent answers: the exact policy gradient (within 4 standard
errors, every variant), per-episode sums written out by hand, and the bandit's closed form."""
import numpy as np
import pytest
from hypothesis import given, settings

import pgbook as pg
from test_exact import mdp_cases, with_corners  # the shared random-MDP strategy (tests/ is on sys.path)

RETURNS = ["total", "reward_to_go"]


def baselines(V):
    return {"none": None, "float": 1.5, "mean": "mean", "optimal": "optimal", "V": V}


def horizon(gamma: float) -> int:
    """Steps after which gamma^t < 1e-8, so cutting episodes there biases nothing measurable."""
    return 2000 if gamma >= 0.99 else int(min(2000, max(1, np.ceil(np.log(1e-8) / np.log(max(gamma, 1e-3))))))


def truncation_for(mdp) -> str:
    """With gamma < 1, accept episodes cut at horizon(gamma): the rewards they miss weigh at most
    gamma^horizon max|r| / (1 - gamma) <= 1e-8 * 5 / 0.01 (|r| < 5 for N(0, 1) rewards), invisible
    next to standard errors of ~1e-2. With gamma = 1 none may be cut."""
    return "accept" if mdp.gamma < 1 else "raise"


@settings(max_examples=25)
@given(mdp_cases())
@with_corners
def test_every_variant_is_unbiased_for_the_exact_gradient(case):
    mdp, policy, theta = case
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    N = 1000
    ep = pg.rollout.sample_episodes(mdp, policy, theta, N, np.random.default_rng(11), max_steps=horizon(mdp.gamma))
    for returns in RETURNS:
        for name, b in baselines(V).items():
            est = pg.estimators.reinforce_gradient(ep, policy, theta, mdp.gamma, returns=returns, baseline=b,
                                                   truncation=truncation_for(mdp))
            assert est.samples.shape == (N, *theta.shape) and est.mean.shape == est.stderr.shape == theta.shape
            assert np.all(np.abs(est.mean - exact) <= 4 * est.stderr + 1e-9), (returns, name)


def by_hand(ep, policy, theta, gamma, returns, b):
    """One gradient sample per episode by explicit loops over episodes and steps (b: None, float or (S,))."""
    score = policy.score(theta)
    out = np.zeros((ep.n_episodes, *theta.shape))
    for i in range(ep.n_episodes):
        r = ep.rewards[i, ep.mask[i]]
        for t in range(r.size):
            s, a = ep.states[i, t], ep.actions[i, t]
            base = 0.0 if b is None else (b if np.ndim(b) == 0 else b[s])
            if returns == "total":
                weight = sum(gamma**k * x for k, x in enumerate(r)) - base
            else:
                weight = gamma**t * (sum(gamma**k * x for k, x in enumerate(r[t:])) - base)
            out[i] += weight * score[s, a]
    return out


@pytest.mark.parametrize("returns", RETURNS)
@pytest.mark.parametrize("kind", ["tabular", "linear"])
def test_samples_match_explicit_loops(returns, kind):
    rng = np.random.default_rng(12)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.8, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3) if kind == "tabular" else pg.SoftmaxPolicy(rng.normal(size=(4, 3, 2)))
    theta = rng.normal(size=policy.theta_shape)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 30, rng, max_steps=12)
    b_state = rng.normal(size=4)
    for b in (None, 0.7, b_state):
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline=b)
        assert np.allclose(est.samples, by_hand(ep, policy, theta, 0.8, returns, b))
        assert np.allclose(est.mean, est.samples.mean(axis=0))
        assert np.allclose(est.stderr, est.samples.std(axis=0, ddof=1) / np.sqrt(30))
    # "mean": b_i is the mean total return of the other episodes, B_i = sum_t score * per-step weight
    R = ep.returns(0.8)
    B = by_hand(ep, policy, theta, 0.8, returns, -1.0) - by_hand(ep, policy, theta, 0.8, returns, None)
    g = by_hand(ep, policy, theta, 0.8, returns, None)
    loo = (R.sum() - R) / 29
    est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline="mean")
    assert np.allclose(est.samples, g - loo.reshape(-1, *[1] * theta.ndim) * B)
    # "optimal": per component b_k = sum_{j != i} g_jk B_jk / sum_{j != i} B_jk^2
    num, den = (g * B).sum(axis=0) - g * B, (B * B).sum(axis=0) - B * B
    b_opt = np.divide(num, den, out=np.zeros_like(num), where=den != 0)
    est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline="optimal")
    assert np.allclose(est.samples, g - b_opt * B)


def test_bandit_closed_form_and_constant_rewards():
    means = np.array([1.0, 2.0, 4.0])
    mdp = pg.envs.bandit(means)
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.2, -0.1, 0.3])
    pi = policy.probs(theta)[0]
    closed = pi * (means - pi @ means)  # d/dtheta_k E[r] = pi_k (m_k - J)
    assert np.allclose(pg.exact.policy_gradient(mdp, policy, theta), closed)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 20_000, np.random.default_rng(13))
    total = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0)
    rtg = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, returns="reward_to_go")
    assert np.array_equal(total.samples, rtg.samples)  # one step: the return is the reward to go
    assert np.all(np.abs(total.mean - closed) <= 4 * total.stderr)
    # equal rewards c for every arm: the gradient is 0, and the baseline c (or the batch mean) removes all noise
    flat = pg.envs.bandit([3.0, 3.0, 3.0])
    ep = pg.rollout.sample_episodes(flat, policy, theta, 500, np.random.default_rng(14))
    noisy = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0)
    assert np.all(noisy.stderr > 0.01) and np.all(np.abs(noisy.mean) <= 4 * noisy.stderr)
    for b in (3.0, "mean"):
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline=b)
        assert np.allclose(est.samples, 0.0, atol=1e-12)


def test_visit_weights_by_hand():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros((mdp.n_states, 4)), 20, np.random.default_rng(15), 30)
    w = np.random.default_rng(16).normal(size=ep.mask.shape)
    W = pg.estimators.visit_weights(ep, mdp.n_states, 4, w)
    expected = np.zeros_like(W)
    for i in range(20):
        for t in range(ep.lengths[i]):
            expected[i, ep.states[i, t], ep.actions[i, t]] += w[i, t]
    assert np.allclose(W, expected)


def loo_by_hand(x, group):
    """Mean of the other entries of each entry's group of `group` consecutive entries."""
    return np.array([(x[i // group * group:(i // group + 1) * group].sum() - x[i]) / (group - 1)
                     for i in range(len(x))])


@pytest.mark.parametrize("returns", RETURNS)
def test_step_weights_by_hand(returns):
    rng = np.random.default_rng(20)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.8, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3)
    theta = rng.normal(size=(4, 3))
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 12, rng)
    R = ep.returns(0.8)
    b_state = rng.normal(size=4)
    cases = {None: 0.0, 0.7: 0.7, "V": b_state, "mean": loo_by_hand(R, 12), ("mean", 4): loo_by_hand(R, 4)}
    for key, b in cases.items():
        baseline, group = (key if isinstance(key, tuple) else (b_state if key == "V" else key, None))
        w = pg.estimators.step_weights(ep, 0.8, returns, baseline, group_size=group)
        expected = np.zeros(ep.mask.shape)
        for i in range(ep.n_episodes):
            r = ep.rewards[i, ep.mask[i]]
            for t in range(r.size):
                base = b[ep.states[i, t]] if key == "V" else (b[i] if np.ndim(b) else b)
                if returns == "total":
                    expected[i, t] = sum(0.8**k * x for k, x in enumerate(r)) - base
                else:
                    expected[i, t] = 0.8**t * (sum(0.8**k * x for k, x in enumerate(r[t:])) - base)
        assert np.allclose(w, expected, atol=1e-12), key
        steps = pg.estimators.step_weights(ep, 0.8, returns, baseline, group_size=group, layout="steps")
        assert np.array_equal(ep.to_padded(steps), w)
        # the weights are the estimator: reinforce_gradient's samples are their score sums
        g = pg.estimators.score_sums(ep, policy, theta, w)
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns, baseline, group_size=group)
        assert np.allclose(g, est.samples, atol=1e-12)


def test_groups_equal_separate_batches():
    # baselines "mean" and "optimal" with group_size n: exactly the samples of each group on its own
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([-0.5, 0.5])
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 24, np.random.default_rng(21))
    for baseline in ("mean", "optimal"):
        grouped = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, "reward_to_go", baseline, group_size=6)
        alone = [pg.estimators.reinforce_gradient(ep.select(slice(k, k + 6)), policy, theta, 1.0, "reward_to_go",
                                                  baseline).samples for k in range(0, 24, 6)]
        assert np.allclose(grouped.samples, np.concatenate(alone), atol=1e-12)


def test_truncation_policy():
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.zeros(2)
    cut = pg.rollout.sample_episodes(mdp, policy, theta, 200, np.random.default_rng(22), max_steps=5)
    k = int(cut.truncated.sum())
    assert 0 < k < 200
    for call in (lambda **kw: pg.estimators.reinforce_gradient(cut, policy, theta, 1.0, **kw),
                 lambda **kw: pg.estimators.step_weights(cut, 1.0, **kw),
                 lambda **kw: pg.estimators.check_truncation(cut, 1.0, **kw)):
        with pytest.raises(ValueError, match=rf"{k} of 200 episodes were cut at max_steps = 5 .*\(gamma = 1; "
                                             r"expected episode length at least 4\.\d+ steps"):
            call()
        call(truncation="accept")  # explicitly accepted: no error
    # the expected length, when the caller knows it (here 12 steps at p(right) = 0.5), is quoted instead
    with pytest.raises(ValueError, match=r"expected episode length 12 steps"):
        pg.estimators.check_truncation(cut, 1.0, expected_length=12.0)
    with pytest.raises(ValueError, match=r"expected episode length inf steps"):
        pg.estimators.check_truncation(cut, 1.0, expected_length=np.inf)
    with pytest.raises(ValueError, match=r"truncation must be one of \('raise', 'accept'\), got 'ignore'"):
        pg.estimators.check_truncation(cut, 1.0, truncation="ignore")
    with pytest.raises(TypeError, match="expected_length must be a real number, got str"):
        pg.estimators.check_truncation(cut, 1.0, expected_length="12")
    pg.estimators.check_truncation(pg.rollout.sample_episodes(mdp, policy, theta, 20, np.random.default_rng(0)), 1.0)


def test_accepted_truncation_bias_is_within_the_stated_bound():
    # Independent answer: the same episodes sampled without the cut (the first max_steps steps of
    # every episode use the same uniforms). Each cut return misses at most gamma^M max|r| / (1 - gamma).
    rng = np.random.default_rng(23)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=0.9)  # no terminal state: every episode is cut
    policy = pg.SoftmaxPolicy.tabular(5, 3)
    theta = rng.normal(size=(5, 3))
    M = 10
    short = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(24), max_steps=M)
    long = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(24), max_steps=400)
    assert short.truncated.all() and np.array_equal(short.states, long.states[:, :M])
    gap = np.abs(short.returns(0.9) - long.returns(0.9))
    bound = 0.9**M * np.abs(mdp.R).max() / (1 - 0.9)
    assert np.all(gap <= bound) and gap.max() > 0.05 * bound  # the bound holds and is not vacuous


def test_episodes_must_fit_the_policy():
    big = pg.envs.random_mdp(6, 3, np.random.default_rng(25), gamma=0.5)
    ep = pg.rollout.sample_episodes(big, pg.SoftmaxPolicy.tabular(6, 3), np.zeros((6, 3)), 30,
                                    np.random.default_rng(26), max_steps=20)
    small = pg.SoftmaxPolicy.tabular(4, 3)
    with pytest.raises(ValueError, match=r"episodes visit state 5, but the policy has only 4 states \(0\.\.3\)"):
        pg.estimators.reinforce_gradient(ep, small, np.zeros((4, 3)), 0.5, truncation="accept")
    narrow = pg.SoftmaxPolicy.tabular(6, 2)
    with pytest.raises(ValueError, match=r"episodes take action 2, but the policy has only 2 actions"):
        pg.estimators.reinforce_gradient(ep, narrow, np.zeros((6, 2)), 0.5, truncation="accept")
    with pytest.raises(ValueError, match=r"visit state 5, but the \(S, A\) = \(4, 3\) table has only 4 states"):
        pg.estimators.visit_weights(ep, 4, 3, np.zeros(ep.n_steps))
    with pytest.raises(ValueError, match=r"visit state 5, but baseline \(an array of 4 state values\)"):
        pg.estimators.step_weights(ep, 0.5, baseline=np.zeros(4), truncation="accept")


def test_optimal_baseline_cancellation_reports_an_honest_standard_error():
    # Equal rewards c on every arm: the exact gradient is 0, and the optimal baseline is exactly c, so
    # each sample g - b B is pure rounding noise, correlated across samples. Its sample spread alone
    # gives standard errors of 1e-18 to 1e-13 with means up to 3.7 of them away from the exact 0;
    # the round-off floor of as_estimate keeps the truth within a fraction of a standard error.
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.2, -0.1, 0.3])
    for c in (3.0, 0.1, 1e3):
        ep = pg.rollout.sample_episodes(pg.envs.bandit([c] * 3), policy, theta, 500, np.random.default_rng(14))
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline="optimal")
        spread = est.samples.std(axis=0, ddof=1) / np.sqrt(500)
        assert np.all(np.abs(est.mean) <= est.stderr) and np.all(est.stderr > spread)
        assert np.all(est.stderr < 1e-10 * c)  # still tiny: the floor is round-off, not noise
        if c == 3.0:
            assert (np.abs(est.mean) / spread).max() > 3  # what the spread alone would have claimed


def test_bad_input_and_nothing_mutated():
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.zeros(2)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(17))
    rg = pg.estimators.reinforce_gradient
    with pytest.raises(ValueError, match=r"returns must be one of \('total', 'reward_to_go'\), got 'rtg'"):
        rg(ep, policy, theta, 1.0, returns="rtg")
    with pytest.raises(ValueError, match="baseline is the string 'median'; baseline must be None, a float, "
                                         "'mean', 'optimal' or an array"):
        rg(ep, policy, theta, 1.0, baseline="median")
    with pytest.raises(ValueError, match="baseline is the string '0.1'.*a float as a number, not as a string"):
        rg(ep, policy, theta, 1.0, baseline="0.1")
    b = np.zeros(3)
    with pytest.raises(ValueError, match=r"baseline array has shape \(3,\), expected per-state values \(S,\) = \(4,\)"):
        rg(ep, policy, theta, 1.0, baseline=b)
    assert np.array_equal(b, np.zeros(3))
    with pytest.raises(ValueError, match=r"baseline\[1\] is nan"):
        rg(ep, policy, theta, 1.0, baseline=np.array([0.0, np.nan, 0.0, 0.0]))
    for bad in (float("nan"), float("inf"), -np.inf):
        with pytest.raises(ValueError, match=r"baseline is -?(nan|inf), expected a finite number"):
            rg(ep, policy, theta, 1.0, baseline=bad)
    with pytest.raises(TypeError, match="baseline must be an array of numbers, got bools"):
        rg(ep, policy, theta, 1.0, baseline=True)
    with pytest.raises(TypeError, match="baseline must be an array of real numbers, got complex"):
        rg(ep, policy, theta, 1.0, baseline=1 + 2j)
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\], got 1\.5"):
        rg(ep, policy, theta, 1.5)
    with pytest.raises(TypeError, match="gamma must be a real number, got str"):
        rg(ep, policy, theta, "1")
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\)"):
        rg(ep, policy, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="group_size = 7 does not split n_episodes = 50 into whole groups"):
        rg(ep, policy, theta, 1.0, baseline="mean", group_size=7)
    with pytest.raises(ValueError, match="need group_size >= 2, got 1"):
        rg(ep, policy, theta, 1.0, baseline="optimal", group_size=1)
    with pytest.raises(ValueError, match="baseline='optimal' is chosen per component of theta"):
        pg.estimators.step_weights(ep, 1.0, baseline="optimal")
    with pytest.raises(ValueError, match=r"step_weights has shape \(3,\), expected padded"):
        pg.estimators.visit_weights(ep, 4, 2, np.zeros(3))
    one = pg.rollout.sample_episodes(mdp, policy, theta, 1, np.random.default_rng(18))
    with pytest.raises(ValueError, match="need n_episodes >= 2, got 1"):
        rg(one, policy, theta, 1.0, baseline="mean")
    assert np.all(np.isinf(rg(one, policy, theta, 1.0).stderr))  # one sample: no error estimate
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    V[mdp.terminal] = 0.0
    kept, theta_kept = V.copy(), theta.copy()
    padded = {name: getattr(ep, name).copy() for name in ("states", "actions", "rewards", "mask")}
    rg(ep, policy, theta, 1.0, "reward_to_go", V)
    pg.estimators.gae(ep, V, 1.0, 0.5)
    assert np.array_equal(V, kept) and np.array_equal(theta, theta_kept)
    assert all(np.array_equal(getattr(ep, k), v) for k, v in padded.items())
