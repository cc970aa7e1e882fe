"""pgbook.cartpole: the CartPole learner's pieces against independent computations.

Returns-to-go against a plain loop (falls, time-outs, a fall on the last step), the policy part of
the loss gradient against REINFORCE written out by hand, the batched update against Adam's first
step written out for each run, numpy acting against the JAX network, and the episode bookkeeping against the
environment's own rules. Learning to 475 is asserted in notebook 11 and timed in the benchmark.
"""
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("gymnasium")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from pgbook import cartpole  # noqa: E402

CFG = cartpole.Config()


@pytest.fixture(scope="module")
def batch_and_params():
    params = cartpole.init(np.random.default_rng(0), 2, CFG)
    envs = cartpole.make_envs(2 * 5)
    batch = cartpole.play(envs, cartpole.numpy(params[0]), np.random.default_rng(1), seed=1)
    envs.close()
    return batch, params


def returns_loop(mask, cut, bootstrap, gamma):
    G = np.zeros(mask.shape)
    for i in range(len(mask)):
        running = bootstrap[i] if cut[i] else 0.0  # what a cut episode would go on to earn
        for t in reversed(range(int(mask[i].sum()))):
            running = 1.0 + gamma * running
            G[i, t] = running
    return G


def test_returns_to_go_match_a_loop():
    rng = np.random.default_rng(2)
    lengths = np.array([1, 7, 20, 20, 13])
    mask = np.arange(20) < lengths[:, None]
    cut = np.array([False, False, True, False, True])  # episode 3 fell on its last step: no bootstrap
    bootstrap = rng.uniform(10, 90, size=5)
    G = cartpole.returns_to_go(mask, cut, bootstrap, 0.97)
    assert np.allclose(G, returns_loop(mask, cut, bootstrap, 0.97), rtol=1e-6)
    assert np.all(G[~mask] == 0)


@pytest.mark.parametrize("gamma", [0.0, 0.1, 1.0])
def test_returns_to_go_stay_finite_for_any_allowed_gamma_over_the_longest_episode(gamma):
    # a 500-step episode: gamma^t underflows to 0 long before the end for small gamma, so the
    # targets must come from the recursion G_t = r_t + gamma G_{t+1}, never from dividing by gamma^t
    mask, cut, bootstrap = np.ones((2, 500), bool), np.array([True, False]), np.array([40.0, 40.0])
    G = cartpole.returns_to_go(mask, cut, bootstrap, gamma)
    assert np.isfinite(G).all()
    assert np.allclose(G, returns_loop(mask, cut, bootstrap, gamma), rtol=1e-6)


@pytest.fixture(scope="module")
def run0_float64(batch_and_params):
    """Run 0's parameters, episodes and targets in float64, and jax.grad of its loss (compiled once)."""
    batch, params = batch_and_params
    run = jax.tree.map(lambda x: np.asarray(x[0], np.float64), params)
    obs, actions, mask = (np.asarray(x[0]) for x in (batch.obs, batch.actions, batch.mask))
    G = cartpole.targets(params, batch, CFG.gamma)[0].astype(np.float64)
    fast_compile = {"xla_backend_optimization_level": 0}  # runs once: compiling dominates (~30% cheaper)
    obs = obs.astype(np.float64)
    grads = jax.jit(jax.grad(cartpole.loss), compiler_options=fast_compile)(run, obs, actions, mask, G)
    return run, obs, actions, mask, G, grads


def test_policy_gradient_is_reinforce_written_out(run0_float64):
    # for the last layer's bias b2 of the policy: d log pi(a|s) / d b2 = onehot(a) - pi(.|s)
    run, obs, actions, mask, G, grads = run0_float64
    logits = cartpole.mlp(run[0], obs, np)
    pi = np.exp(logits - logits.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    V = cartpole.mlp(run[1], obs, np)[..., 0]
    score_b2 = np.eye(2)[actions] - pi  # (B, T, 2)
    reinforce = np.einsum("bt,bta->a", mask * (G - V), score_b2) / len(obs)
    assert np.allclose(-np.asarray(grads[0][1][1])[0], reinforce, rtol=1e-10, atol=1e-12)
    # the value part: d/d b2 of mean (V - G)^2 = 2 mean (V - G); the policy term sends nothing to V
    assert np.isclose(float(grads[1][1][1][0, 0]), 2 * (mask * (V - G)).sum() / mask.sum(), rtol=1e-10)


def test_batched_update_is_an_adam_step_per_run(batch_and_params, run0_float64):
    # Adam's first step from a fresh state (Kingma & Ba 2015, written out): m = (1 - b1) g and
    # v = (1 - b2) g^2, bias-corrected to g and g^2, so theta <- theta - lr g / (|g| + eps)
    batch, params = batch_and_params
    run, *_, grads = run0_float64
    G = cartpole.targets(params, batch, CFG.gamma)
    frozen = np.array([False, True])
    new, _ = cartpole.update(params, cartpole.start_adam(params), frozen, batch.obs, batch.actions, batch.mask,
                             G, cartpole.DTYPE(CFG.lr))
    eps = 1e-8  # optax's default
    assert min(np.abs(g).min() for g in jax.tree.leaves(grads)) > 1e3 * eps  # no step decided by rounding
    expected = jax.tree.map(lambda p, g: p - CFG.lr * g / (np.abs(g) + eps), run, grads)
    for got, want in zip(jax.tree.leaves(new), jax.tree.leaves(expected)):
        assert np.allclose(np.asarray(got)[0], want, rtol=1e-5, atol=1e-7)
    for got, p in zip(jax.tree.leaves(new), jax.tree.leaves(params)):
        assert np.array_equal(np.asarray(got)[1], np.asarray(p)[1])  # frozen


def test_numpy_acting_is_the_jax_network(batch_and_params):
    batch, params = batch_and_params
    x = batch.obs[:, :, :3].reshape(2, -1, 4)
    assert np.allclose(cartpole.mlp(cartpole.numpy(params[0]), x, np), jax.jit(cartpole.mlp)(params[0], x),
                       rtol=1e-5, atol=1e-6)


def test_play_follows_the_environment_rules(batch_and_params):
    batch, params = batch_and_params
    lengths = batch.mask.sum(axis=2)
    assert np.all(batch.mask == (np.arange(cartpole.T_MAX) < lengths[..., None]))  # contiguous from t = 0
    fell = ~batch.cut
    over = (np.abs(batch.last_obs[..., 2]) > 12 * 2 * np.pi / 360) | (np.abs(batch.last_obs[..., 0]) > 2.4)
    assert np.all(over[fell]) and np.all(batch.cut == (lengths == cartpole.T_MAX) & ~over)
    assert set(np.unique(batch.actions[batch.mask])) <= {0, 1}
    envs = cartpole.make_envs(2 * 5)
    again = cartpole.play(envs, cartpole.numpy(params[0]), np.random.default_rng(1), seed=1)
    envs.close()
    assert all(np.array_equal(a, b) for a, b in zip(batch, again))  # seeds fix everything


def test_a_good_policy_is_cut_not_failed():
    # a hand-made linear controller that balances: push toward the side the pole leans to
    W1 = np.zeros((1, 4, 4), cartpole.DTYPE)
    W1[0, :, 0] = [0.0, 0.5, 10.0, 2.0]
    W2 = np.zeros((1, 4, 2), cartpole.DTYPE)
    W2[0, 0] = [-5.0, 5.0]
    policy = ((W1, np.zeros((1, 1, 4), cartpole.DTYPE)), (W2, np.zeros((1, 1, 2), cartpole.DTYPE)))
    envs = cartpole.make_envs(3)
    batch = cartpole.play(envs, policy, np.random.default_rng(0), seed=0, greedy=True)
    envs.close()
    assert np.all(batch.mask.sum(axis=2) == cartpole.T_MAX) and np.all(batch.cut)


def test_train_is_deterministic_and_records_its_history():
    cfg = cartpole.Config(batch=5, max_updates=3)  # the fixture's shapes: the update is compiled once
    a, b = cartpole.train(5, 2, cfg), cartpole.train(5, 2, cfg)
    assert a.returns.shape == (3, 2, 5) and np.array_equal(a.returns, b.returns)
    assert np.all(a.solved_at == -1) and np.all(np.isnan(a.seconds))  # 15 episodes are not 100
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)))
    returns = cartpole.evaluate(a.params, seed=0, n_episodes=3)
    assert returns.shape == (2, 3) and returns.min() >= 1


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(hidden=0), ValueError, "hidden must be at least 1, got 0"),
    (dict(batch=2.5), TypeError, "batch must be an integer"),
    (dict(lr=-0.1), ValueError, "lr must lie in"),
    (dict(gamma=1.2), ValueError, r"gamma must lie in \[0, 1\], got 1.2"),
    (dict(stop=400.0), ValueError, r"stop must lie in \[475, 500\], got 400.0"),
])
def test_bad_config_is_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        cartpole.Config(**kwargs)


def test_bad_training_arguments_are_refused():
    with pytest.raises(ValueError, match="n_runs must be at least 1, got 0"):
        cartpole.train(0, 0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        cartpole.train(1.5, 2)
    with pytest.raises(TypeError, match="cfg must be a cartpole.Config, got dict"):
        cartpole.train(0, 2, {"lr": 0.1})


def test_init_and_play_refuse_a_bad_rng_or_size_before_doing_anything():
    with pytest.raises(TypeError, match="rng must be a numpy Generator, got NoneType"):
        cartpole.init(None, 2)
    with pytest.raises(ValueError, match="n_runs must be at least 1, got 0"):
        cartpole.init(np.random.default_rng(0), 0)
    with pytest.raises(TypeError, match="n_runs must be an integer"):
        cartpole.init(np.random.default_rng(0), 2.0)
    # play checks its arguments before it touches the environments (None here would fail later)
    with pytest.raises(TypeError, match="rng must be a numpy Generator, got int"):
        cartpole.play(None, None, 0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        cartpole.play(None, None, np.random.default_rng(0), seed="3")
