"""pgbook._checks: each check accepts what it should, refuses the rest with a message naming the
argument, the problem and the value, and never modifies its input."""
import numpy as np
import pytest
import sympy as sp

from pgbook._checks import (PROB_TOL, as_float_array, check_int, check_positive_int, check_probability,
                            check_real, check_rng)


# ---------------------------------------------------------------- as_float_array
@pytest.mark.parametrize("x, expected", [
    (3, np.array(3.0)), ([1, 2.5], np.array([1.0, 2.5])), (np.arange(3), np.array([0.0, 1.0, 2.0])),
    (np.float32(0.5), np.array(0.5)), (np.array([[1, 2]], dtype=np.uint8), np.array([[1.0, 2.0]])),
    (sp.Array([sp.Rational(1, 4), sp.sqrt(2)]), np.array([0.25, np.sqrt(2)])),  # sympy numbers convert
    ([np.int64(2), np.float64(0.5)], np.array([2.0, 0.5])),
])
def test_as_float_array_accepts_real_numbers(x, expected):
    out = as_float_array("x", x)
    assert out.dtype == np.float64 and out.shape == expected.shape and np.array_equal(out, expected)


def test_as_float_array_always_copies():
    x = np.array([1.0, 2.0])
    out = as_float_array("x", x)
    out[0] = 7.0
    assert x[0] == 1.0


@pytest.mark.parametrize("x, exc, pattern", [
    ("1.0", TypeError, r"x must be an array of numbers, got strings: '1\.0'"),  # numpy would parse it
    (["1", 2], TypeError, r"x must be an array of numbers, got strings"),
    (True, TypeError, r"x must be an array of numbers, got bools: True"),
    (np.array([True, False]), TypeError, r"x must be an array of numbers, got bools"),
    ([1.0, True], TypeError, r"x must be an array of numbers, got a bool among its entries: \[1\.0, True\]"),
    (np.array([1.0, None], dtype=object), TypeError, r"x must be an array of numbers, got None among"),
    (None, TypeError, r"x must be an array of numbers, got None"),  # numpy would make it nan
    (1 + 0j, TypeError, r"x must be an array of real numbers, got complex values \(1\+0j\)"),
    (np.array([1.0, 2j]), TypeError, r"x must be an array of real numbers, got complex values.*never dropped"),
    ([1.0, 2 + 1j], TypeError, r"x must be an array of real numbers, got complex values"),
    (np.array([1.0, sp.I], dtype=object), TypeError, r"x must be an array of numbers"),
    ([sp.Symbol("p")], TypeError, r"x must be an array of numbers, got list"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, r"x must be an array of numbers, got dtype"),
    ([[1.0, 2.0], [3.0]], ValueError, r"x must be a rectangular array of numbers, got a ragged list"),
    (np.nan, ValueError, r"x is nan, expected a finite number"),
    ([[0.0, 1.0], [np.inf, 2.0]], ValueError, r"x\[1, 0\] is inf, expected a finite number"),
    ([0.0, -np.inf], ValueError, r"x\[1\] is -inf, expected a finite number"),
])
def test_as_float_array_refuses(x, exc, pattern):
    before = x.copy() if isinstance(x, np.ndarray) else None
    with pytest.raises(exc, match=pattern):
        as_float_array("x", x)
    if before is not None:  # the input is left as it was
        assert before.dtype == x.dtype and all(a is b or a == b for a, b in zip(before.flat, x.flat))


def test_as_float_array_checks_ndim():
    with pytest.raises(ValueError, match=r"P must have 3 dimensions, got shape \(2, 2\)"):
        as_float_array("P", np.eye(2), ndim=3)
    assert as_float_array("P", np.ones((1, 1, 1)), ndim=3).shape == (1, 1, 1)


# ---------------------------------------------------------------- check_probability
def test_prob_tol_is_one_documented_constant():
    assert PROB_TOL == 1e-8
    import pgbook._checks as checks
    assert "PROB_TOL" in (checks.check_probability.__doc__ or "")


@pytest.mark.parametrize("delta", [0.0, 0.4 * PROB_TOL, 0.9 * PROB_TOL])
def test_entries_and_sums_just_inside_the_tolerance_are_renormalised(delta):
    # inside: accepted, and the copy is an exact distribution; the input is untouched
    P = np.array([[[1 + delta, 0.0], [0.5, 0.5]], [[-delta, 1.0], [0.25, 0.75 + delta]]])
    kept = P.copy()
    out = check_probability("P", P, axis=2)
    assert np.array_equal(P, kept) and out is not P
    assert np.all(out >= 0) and np.all(out <= 1)
    assert np.allclose(out.sum(axis=2), 1.0, rtol=0, atol=4e-16)
    # by hand: [1 + d, 0] / (1 + d) = [1, 0]; [-d, 1] -> [0, 1]; [1/4, 3/4 + d] / (1 + d)
    assert np.array_equal(out[0, 0], [1.0, 0.0]) and np.array_equal(out[1, 0], [0.0, 1.0])
    assert np.allclose(out[1, 1], np.array([0.25, 0.75 + delta]) / (1 + delta), rtol=1e-15)


@pytest.mark.parametrize("P, pattern", [
    ([[1 + 2 * PROB_TOL, 0.0]], r"P\[0, 0\] is 1\.00000002, expected a probability \(<= 1, within PROB_TOL = 1e-08\)"),
    ([[1.5, -0.5]], r"P\[0, 1\] is -0\.5, expected a probability \(>= 0"),
    ([[-2 * PROB_TOL, 1.0]], r"P\[0, 0\] is -2e-08, expected a probability \(>= 0"),
    ([[0.5, 0.5], [0.5, 0.5 + 2 * PROB_TOL]], r"P\[1, :\] sums to 1\.00000002, expected 1 \(within PROB_TOL"),
    ([[0.0, 0.0]], r"P\[0, :\] sums to 0, expected 1"),
])
def test_entries_and_sums_just_outside_the_tolerance_are_refused(P, pattern):
    P = np.array(P)
    kept = P.copy()
    with pytest.raises(ValueError, match=pattern):
        check_probability("P", P)
    assert np.array_equal(P, kept)


def test_check_probability_along_another_axis_and_in_one_dimension():
    x = np.array([[0.2, 0.5], [0.8, 0.5]])  # columns are distributions, rows are not
    assert np.array_equal(check_probability("x", x, axis=0), x)
    with pytest.raises(ValueError, match=r"x\[0, :\] sums to 0\.7, expected 1"):
        check_probability("x", x, axis=1)
    with pytest.raises(ValueError, match=r"x\[:, 0\] sums to 0\.7, expected 1"):
        check_probability("x", x.T, axis=0)
    with pytest.raises(ValueError, match=r"rho sums to 0\.75, expected 1"):
        check_probability("rho", [0.5, 0.25])
    with pytest.raises(ValueError, match=r"rho must be an array of probabilities, got the scalar 1\.0"):
        check_probability("rho", 1.0)
    with pytest.raises(ValueError, match=r"pi\[1\] is nan, expected a finite number"):
        check_probability("pi", [0.5, np.nan])


# ---------------------------------------------------------------- check_real
@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.int64(0), np.array(0.75), sp.Rational(1, 2)])
def test_check_real_accepts_real_numbers(value):
    out = check_real("gamma", value, 0.0, 1.0)
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize("value, low, high, exc, pattern", [
    ("0.9", 0.0, 1.0, TypeError, r"gamma must be a real number, got str '0\.9'"),
    (True, 0.0, 1.0, TypeError, r"gamma must be a real number, got bool True"),
    (np.bool_(False), 0.0, 1.0, TypeError, r"gamma must be a real number, got bool"),
    (0.5 + 0j, 0.0, 1.0, TypeError, r"gamma must be a real number, got complex \(0\.5\+0j\)"),
    (None, 0.0, 1.0, TypeError, r"gamma must be a real number, got NoneType None"),
    (np.array([0.5]), 0.0, 1.0, TypeError, r"gamma must be a real number, got ndarray"),
    (1.5, 0.0, 1.0, ValueError, r"gamma must lie in \[0, 1\], got 1\.5"),
    (float("nan"), 0.0, 1.0, ValueError, r"gamma must lie in \[0, 1\], got nan"),
    (float("nan"), -np.inf, np.inf, ValueError, r"baseline must be a finite number, got nan"),
    (np.inf, -np.inf, np.inf, ValueError, r"baseline must be a finite number, got inf"),
    (-np.inf, -np.inf, np.inf, ValueError, r"baseline must be a finite number, got -inf"),
    (np.inf, 0.0, np.inf, ValueError, r"alpha must be a finite number, got inf"),
])
def test_check_real_refuses(value, low, high, exc, pattern):
    name = pattern.split()[0]
    with pytest.raises(exc, match=pattern):
        check_real(name, value, low, high)


def test_check_real_defaults_to_any_finite_number():
    assert check_real("baseline", -1e300) == -1e300
    with pytest.raises(ValueError, match="baseline must be a finite number, got inf"):
        check_real("baseline", float("inf"))


# ---------------------------------------------------------------- check_int, check_positive_int
@pytest.mark.parametrize("value", [2, np.int64(2), np.uint8(2), np.int32(2)])
def test_integers_of_any_integer_type_are_accepted(value):
    assert check_int("n", value) == 2 and type(check_positive_int("n", value)) is int


@pytest.mark.parametrize("value, pattern", [
    (2.9, r"n must be an integer, got float 2\.9"), (2.0, r"n must be an integer, got float 2\.0"),
    (np.float64(2.0), r"n must be an integer, got float64 2\.0"), (True, r"n must be an integer, got bool True"),
    ("2", r"n must be an integer, got str '2'"), (None, r"n must be an integer, got NoneType None"),
])
def test_non_integers_are_refused(value, pattern):
    for check in (check_int, check_positive_int):
        with pytest.raises(TypeError, match=pattern):
            check("n", value)


def test_integer_ranges():
    assert check_int("k", 0) == 0 and check_int("k", -3, low=-5) == -3 and check_int("k", 4, 0, 4) == 4
    with pytest.raises(ValueError, match="k must be at least 0, got -1"):
        check_int("k", -1)
    with pytest.raises(ValueError, match="k must be at most 4, got 5"):
        check_int("k", 5, 0, 4)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        check_positive_int("n", 0)


# ---------------------------------------------------------------- check_rng
def test_check_rng():
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng
    for bad, kind in ((None, "NoneType"), (0, "int"), (np.random.RandomState(0), "RandomState")):
        with pytest.raises(TypeError, match=rf"rng must be a numpy Generator, got {kind}.*default_rng\(seed\)"):
            check_rng(bad)
    with pytest.raises(TypeError, match="noise_rng must be a numpy Generator, got int"):
        check_rng(3, "noise_rng")
