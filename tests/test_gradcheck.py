"""pgbook.gradcheck against functions with known derivatives, and its error behaviour."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgbook as pg


@given(st.integers(0, 2**32 - 1), st.sampled_from([(3,), (2, 3), (2, 1, 2)]))
def test_finite_difference_matches_known_gradients(seed, shape):
    rng = np.random.default_rng(seed)
    x, c = rng.normal(size=shape), rng.normal(size=shape)
    f = lambda z: float(np.sum(np.sin(c * z)) + 0.5 * np.sum(z**2) * np.sum(z))  # noqa: E731
    exact = c * np.cos(c * x) + x * np.sum(x) + 0.5 * np.sum(x**2)
    fd = pg.gradcheck.finite_difference(f, x)
    assert fd.shape == x.shape
    assert np.allclose(fd, exact, atol=1e-8)


def test_central_differences_are_exact_on_quadratics_and_have_eps_squared_error():
    x = np.array([0.3, -1.2])
    quad = pg.gradcheck.finite_difference(lambda z: float(z @ z + 3 * z[0] * z[1]), x, eps=0.5)
    assert np.allclose(quad, [2 * 0.3 + 3 * -1.2, 2 * -1.2 + 3 * 0.3], atol=1e-12)
    # for exp the central difference is e^x sinh(eps) / eps = e^x (1 + eps^2 / 6 + ...)
    for eps in (1e-1, 1e-2):
        fd = pg.gradcheck.finite_difference(lambda z: float(np.exp(z[0])), np.array([0.0]), eps=eps)
        assert np.isclose(fd[0] - 1.0, np.sinh(eps) / eps - 1.0, rtol=1e-6)


def test_input_is_not_modified_and_lists_work():
    x = np.array([1.0, 2.0])
    kept = x.copy()
    seen = []
    pg.gradcheck.finite_difference(lambda z: seen.append(z.copy()) or float(z.sum()), x)
    assert np.array_equal(x, kept) and len(seen) == 4
    assert np.allclose(pg.gradcheck.finite_difference(lambda z: float(z.sum()), [1.0, 2.0, 3.0]), 1.0)


def test_relative_error():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert np.isclose(pg.gradcheck.relative_error(a, b), 0.5 / np.hypot(3.0, 4.5))
    assert pg.gradcheck.relative_error(a, b) == pg.gradcheck.relative_error(b, a)
    assert pg.gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert pg.gradcheck.relative_error(np.zeros(2), a) == 1.0
    assert pg.gradcheck.relative_error(2.0, 2.0) == 0.0


def test_bad_input():
    f = lambda z: float(z.sum())  # noqa: E731
    for eps in (0.0, -1e-3):
        with pytest.raises(ValueError, match="eps must be positive, got"):
            pg.gradcheck.finite_difference(f, np.ones(2), eps=eps)
    for eps, exc, pattern in ((float("nan"), ValueError, "eps must be a finite number, got nan"),
                              (np.inf, ValueError, "eps must be a finite number, got inf"),
                              ("1e-6", TypeError, "eps must be a real number, got str"),
                              (1e-6 + 0j, TypeError, "eps must be a real number, got complex")):
        with pytest.raises(exc, match=pattern):
            pg.gradcheck.finite_difference(f, np.ones(2), eps=eps)
    x = np.array([1.0, np.nan])
    with pytest.raises(ValueError, match=r"x\[1\] is nan, expected a finite number"):
        pg.gradcheck.finite_difference(f, x)
    assert np.isnan(x[1]) and x[0] == 1.0
    with pytest.raises(ValueError, match="x is nan, expected a finite number"):
        pg.gradcheck.finite_difference(f, float("nan"))  # a 0-d input, checked like any other
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        pg.gradcheck.finite_difference(f, "abc")
    with pytest.raises(ValueError, match=r"cannot compare shapes \(2,\) and \(3,\)"):
        pg.gradcheck.relative_error(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="a must be an array of numbers, got strings"):
        pg.gradcheck.relative_error(["1", "2"], np.ones(2))  # numpy would parse the strings
    with pytest.raises(TypeError, match="b must be an array of real numbers, got complex"):
        pg.gradcheck.relative_error(np.ones(2), np.ones(2) + 1j)  # numpy would drop the imaginary part
    with pytest.raises(ValueError, match=r"b\[1\] is nan"):
        pg.gradcheck.relative_error(np.ones(2), [1.0, np.nan])


def test_a_function_that_is_not_finite_is_refused_in_words():
    # log of a negative number is nan: x[1] - eps = -0.5e-6 < 0, while x[0] +- eps stays positive
    with np.errstate(invalid="ignore"), pytest.raises(
            ValueError, match=r"f is not finite at x \+- eps e_i for i = \[1\] \(eps = 1e-06\)"):
        pg.gradcheck.finite_difference(lambda z: float(np.sum(np.log(z))), np.array([1.0, 0.5e-6]))
    # a Jacobian: sqrt(x[0, 1] - eps) is nan, the entry i = (0, 1) of a 2-D x
    with np.errstate(invalid="ignore"), pytest.raises(
            ValueError, match=r"f is not finite at x \+- eps e_i for i = \[0, 1\] \(eps = 1e-06\): .* nan"):
        pg.gradcheck.finite_difference(lambda z: np.array([z[0, 0], np.sqrt(z[0, 1])]), np.array([[1.0, 0.0]]))


def test_finite_difference_of_an_array_valued_function_is_its_jacobian():
    # f(x) = M x + sin(x0): jac[i, j] = M[i, j] + [j == 0] cos(x0), shaped f.shape + x.shape
    M = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    x = np.array([0.3, -1.2, 2.0])
    jac = pg.gradcheck.finite_difference(lambda v: M @ v + np.sin(v[0]), x)
    expected = M + np.outer(np.ones(2), [np.cos(x[0]), 0.0, 0.0])
    assert jac.shape == (2, 3)
    assert np.allclose(jac, expected, atol=1e-8)
