"""Notebook 10's self-checking exercises: the reference answers pass, typical mistakes fail with a message
that says what is wrong."""
import numpy as np
import pytest

import pgbook as pg


def trust_region_step(F, g, delta):  # the notebook's reference answer
    direction = np.linalg.pinv(F) @ g
    return np.sqrt(2 * delta / (g @ direction)) * direction


def clipped_objective(ratio, advantage, eps):  # the notebook's reference answer
    return np.minimum(ratio * advantage, np.clip(ratio, 1 - eps, 1 + eps) * advantage)


def test_the_reference_trust_region_step_passes():
    verdict = pg.check.trust_region_step(trust_region_step)
    assert verdict and "all 3 test problems" in verdict.message and "singular" in verdict.message


def test_a_step_with_extra_null_space_components_also_passes():
    """Any maximiser is right: adding a direction of zero KL and zero gain changes nothing."""
    def with_null(F, g, delta):
        w = trust_region_step(F, g, delta)
        lam, U = np.linalg.eigh(F)
        return w + 3.0 * U[:, 0] if lam[0] < 1e-12 * lam[-1] else w
    assert pg.check.trust_region_step(with_null)


@pytest.mark.parametrize("wrong, words", [
    (lambda F, g, d: np.sqrt(2 * d / (g @ F @ g)) * g, "plain gradient"),
    (lambda F, g, d: np.sqrt(d / (g @ np.linalg.pinv(F) @ g)) * np.linalg.pinv(F) @ g, "delta / 2"),
    (lambda F, g, d: np.sqrt(2) * trust_region_step(F, g, d), "2 delta"),  # KL 2 delta: w^T F w = 2 delta
    (lambda F, g, d: 2 * trust_region_step(F, g, d), "the direction is right but the length is not"),
    (lambda F, g, d: np.linalg.pinv(F) @ g, "the direction is right but the length is not"),
    (lambda F, g, d: -trust_region_step(F, g, d), "goes downhill"),
    (lambda F, g, d: np.sqrt(2 * d / (g @ np.linalg.solve(F, g))) * np.linalg.solve(F, g), "pinv"),
    (lambda F, g, d: np.sqrt(2 * d / (g @ np.linalg.inv(F) @ g)) * np.linalg.inv(F) @ g, "LinAlgError"),
    (lambda F, g, d: trust_region_step(F, g, d)[:-1], "shape"),
    (lambda F, g, d: 1 / 0, "ZeroDivisionError"),
])
def test_typical_trust_region_mistakes_are_named(wrong, words):
    verdict = pg.check.trust_region_step(wrong)
    assert not verdict
    assert words in verdict.message, verdict.message


def test_the_trust_region_checker_refuses_a_non_function():
    assert "should be a function" in pg.check.trust_region_step(np.eye(2)).message


def test_the_student_edition_stub_is_told_to_write_an_answer():
    def stub(*args):
        ...  # what python -m pgbook.student leaves in the exercise cell
    for checker in (pg.check.trust_region_step, pg.check.clipped_objective):
        verdict = checker(stub)
        assert not verdict and "returned None: is the `return` line missing?" in verdict.message


def test_the_reference_clipped_objective_passes():
    verdict = pg.check.clipped_objective(clipped_objective)
    assert verdict and "50" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (lambda r, A, e: np.maximum(r * A, np.clip(r, 1 - e, 1 + e) * A), "larger of the two terms"),
    (lambda r, A, e: np.clip(r, 1 - e, 1 + e) * A, "clip(r) A alone"),
    (lambda r, A, e: r * A, "never clipped"),
    (lambda r, A, e: np.clip(r * A, 1 - e, 1 + e), "clips the product"),
    (lambda r, A, e: min(r * A, np.clip(r, 1 - e, 1 + e) * A), "np.minimum"),
    (lambda r, A, e: np.minimum(r * A, np.clip(r, 0.8, 1.2) * A), "eps=0.1"),  # eps ignored
    (lambda r, A, e: np.minimum(r * A, np.clip(r, 1 - e, 1 + e) * A)[0], "should work elementwise"),
])
def test_typical_clipping_mistakes_are_named(wrong, words):
    verdict = pg.check.clipped_objective(wrong)
    assert not verdict
    assert words in verdict.message, verdict.message


def test_a_clipped_objective_that_fails_on_single_numbers_is_reported():
    def arrays_only(r, A, e):
        return clipped_objective(np.asarray(r), np.asarray(A), e).reshape(np.shape(r) or (1,))[..., None][..., 0] \
            if np.ndim(r) else [clipped_objective(r, A, e), 0.0]
    verdict = pg.check.clipped_objective(arrays_only)
    assert not verdict and "single numbers" in verdict.message
