"""pg.check.gae_advantages: the reference answer passes; typical mistakes fail with a message that names them."""
import numpy as np
import pytest

import pgbook as pg


def reference(rewards, values, gamma, lam):
    """The notebook's answer: TD errors, then the backward recursion A_t = delta_t + gamma lam A_(t+1)."""
    next_values = np.append(values[1:], 0.0)  # the episode ended: nothing after its last step
    delta = rewards + gamma * next_values - values
    A = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = delta[t] + gamma * lam * running
        A[t] = running
    return A


def test_the_reference_answer_passes():
    verdict = pg.check.gae_advantages(reference)
    assert verdict and "agrees" in verdict.message


def test_the_package_gae_passes_too():
    # the same numbers as pg.estimators.gae on an episode whose states are 0, 1, ..., L-1
    def via_package(rewards, values, gamma, lam):
        L = len(rewards)
        ep = pg.rollout.Episodes.from_padded(np.arange(L)[None], np.zeros((1, L), int), rewards[None],
                                             np.ones((1, L), bool), [False])
        return pg.estimators.gae(ep, values, gamma, lam)[0]

    assert pg.check.gae_advantages(via_package)


def with_mistake(kind):
    def answer(rewards, values, gamma, lam):
        decay = {"lam_only": lam, "no_lam": gamma, "td_only": 0.0}.get(kind, gamma * lam)
        nxt = {"bootstrap_last": np.append(values[1:], values[-1]),
               "roll": np.roll(values, -1)}.get(kind, np.append(values[1:], 0.0))
        delta = rewards + (1.0 if kind == "no_gamma_in_delta" else gamma) * nxt - values
        if kind == "sign":
            delta = -delta
        A, running = np.zeros(len(rewards)), 0.0
        steps = range(len(rewards)) if kind == "forward" else reversed(range(len(rewards)))
        for t in steps:
            running = delta[t] + decay * running
            A[t] = running
        return A

    return answer


@pytest.mark.parametrize("kind, words", [
    ("no_lam", "does not depend on lam"),
    ("td_only", "one-step TD errors delta_t alone"),
    ("lam_only", "gamma is missing from the decay"),
    ("bootstrap_last", "the value there is 0, not V(s_(L-1))"),
    ("roll", "np.roll wraps around"),
    ("forward", "Run the recursion backwards in time"),
    ("no_gamma_in_delta", "gamma multiplies the next value too"),
    ("sign", "wrong sign"),
])
def test_typical_mistakes_are_named(kind, words):
    verdict = pg.check.gae_advantages(with_mistake(kind))
    assert not verdict
    assert words in verdict.message
    assert verdict.message.startswith("gae_advantages(rewards=[")  # it shows the input that went wrong


def test_other_wrong_answers_are_explained():
    assert "should be a function" in pg.check.gae_advantages(3.0).message
    assert "returned None" in pg.check.gae_advantages(lambda r, v, g, l: None).message  # the student edition's stub
    assert "shape (2,), expected (6,)" in pg.check.gae_advantages(lambda r, v, g, l: np.zeros(2)).message
    boom = pg.check.gae_advantages(lambda r, v, g, l: r[10])
    assert not boom and "raised IndexError" in boom.message
    with np.errstate(divide="ignore"):
        infinite = pg.check.gae_advantages(lambda r, v, g, l: r / 0)
    assert not infinite and "NaN or infinity" in infinite.message
    off = pg.check.gae_advantages(lambda r, v, g, l: reference(r, v, g, l) + 0.01)
    assert not off and "expected [" in off.message and "= [" in off.message
