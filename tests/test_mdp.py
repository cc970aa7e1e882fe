"""pgbook.mdp.TabularMDP: validation with actionable messages, copies, read-only arrays."""
import numpy as np
import pytest

import pgbook as pg


def corridor_arrays():
    """The short corridor's arrays as plain writable numpy arrays."""
    m = pg.envs.short_corridor()
    return m.P.copy(), m.R.copy(), m.rho.copy(), m.terminal.copy()


def test_fields_shapes_and_sizes():
    P, R, rho, terminal = corridor_arrays()
    mdp = pg.TabularMDP(P, R, rho, 1.0, terminal)
    assert (mdp.n_states, mdp.n_actions) == (4, 2)
    assert mdp.P.dtype == np.float64 and mdp.gamma == 1.0 and isinstance(mdp.gamma, float)
    assert np.array_equal(mdp.P, P) and np.array_equal(mdp.R, R) and np.array_equal(mdp.rho, rho)
    assert repr(mdp) == "TabularMDP(n_states=4, n_actions=2, gamma=1, n_terminal=1)"


def test_terminal_defaults_to_none_terminal():
    P, R, rho, _ = corridor_arrays()
    mdp = pg.TabularMDP(P, R, rho, 0.5)
    assert mdp.terminal.dtype == bool and not mdp.terminal.any()


def test_nested_lists_are_accepted():
    mdp = pg.TabularMDP([[[1.0]]], [[2.0]], [1.0], 0)
    assert mdp.P.shape == (1, 1, 1) and mdp.R[0, 0] == 2.0


def test_arrays_are_copied_and_read_only():
    P, R, rho, terminal = corridor_arrays()
    mdp = pg.TabularMDP(P, R, rho, 1.0, terminal)
    P[0, 0] = [0, 1, 0, 0]  # mutating the inputs afterwards changes nothing
    R[:] = 7.0
    rho[:] = [0, 1, 0, 0]
    terminal[:] = True
    fresh = pg.envs.short_corridor()
    for name in ("P", "R", "rho", "terminal"):
        assert np.array_equal(getattr(mdp, name), getattr(fresh, name)), name
        with pytest.raises(ValueError, match="read-only"):
            getattr(mdp, name)[0] = 0
    with pytest.raises(AttributeError):
        mdp.gamma = 0.5  # frozen dataclass


def bad_cases():
    """(description, kwargs, exception, message pattern) for every invalid input."""
    P, R, rho, terminal = corridor_arrays()
    def edit(name, fn):
        arrays = dict(P=P.copy(), R=R.copy(), rho=rho.copy(), gamma=1.0, terminal=terminal.copy())
        arrays[name] = fn(arrays[name])
        return arrays
    def setitem(index, value):
        def fn(a):
            a[index] = value
            return a
        return fn
    return [
        ("P row sum", edit("P", setitem((2, 1, 1), 0.5)), ValueError, r"P\[2, 1, :\] sums to 1\.5, expected 1"),
        ("P negative", edit("P", setitem((1, 0, 0), -0.5)), ValueError, r"P\[1, 0, 0\] is -0\.5, expected a probability"),
        ("P NaN", edit("P", setitem((0, 1, 3), np.nan)), ValueError, r"P\[0, 1, 3\] is nan, expected a finite number"),
        ("P inf", edit("P", setitem((0, 1, 3), np.inf)), ValueError, r"P\[0, 1, 3\] is inf"),
        ("P 2-D", edit("P", lambda a: a[0]), ValueError, r"P must have 3 dimensions, got shape \(2, 4\)"),
        ("P not square", edit("P", lambda a: a[:, :, :3]), ValueError, r"P must have shape \(S, A, S\)"),
        ("P strings", edit("P", lambda a: "abc"), TypeError, r"P must be an array of numbers"),
        ("R NaN", edit("R", setitem((1, 1), np.nan)), ValueError, r"R\[1, 1\] is nan"),
        ("R shape", edit("R", lambda a: a[:3]), ValueError, r"R has shape \(3, 2\), expected \(S, A\) = \(4, 2\)"),
        ("rho NaN", edit("rho", setitem(2, np.nan)), ValueError, r"rho\[2\] is nan"),
        ("rho negative", edit("rho", lambda a: np.array([1.5, -0.5, 0, 0])), ValueError, r"rho\[1\] is -0\.5"),
        ("rho sum", edit("rho", lambda a: np.array([0.5, 0.25, 0, 0])), ValueError, r"rho sums to 0\.75, expected 1"),
        ("rho shape", edit("rho", lambda a: np.ones(3) / 3), ValueError, r"rho has shape \(3,\), expected \(S,\) = \(4,\)"),
        ("gamma > 1", edit("gamma", lambda g: 1.5), ValueError, r"gamma must lie in \[0, 1\], got 1\.5"),
        ("gamma < 0", edit("gamma", lambda g: -0.1), ValueError, r"gamma must lie in \[0, 1\], got -0\.1"),
        ("gamma NaN", edit("gamma", lambda g: float("nan")), ValueError, r"gamma must lie in \[0, 1\], got nan"),
        ("gamma string", edit("gamma", lambda g: "0.9"), TypeError, r"gamma must be a real number, got str '0\.9'"),
        ("gamma bool", edit("gamma", lambda g: True), TypeError, r"gamma must be a real number, got bool"),
        ("terminal ints", edit("terminal", lambda a: a.astype(int)), TypeError, r"terminal must be a boolean array"),
        ("terminal shape", edit("terminal", lambda a: a[:3]), ValueError, r"terminal has shape \(3,\), expected \(S,\)"),
        # just outside PROB_TOL = 1e-8 (just inside: test_rows_within_the_tolerance_are_renormalised...)
        ("P entry > 1", edit("P", setitem((0, 0, 0), 1 + 2e-8)), ValueError,
         r"P\[0, 0, 0\] is 1\.00000002, expected a probability \(<= 1"),
        ("P row sum just off", edit("P", setitem((2, 1, 2), 2e-8)), ValueError, r"P\[2, 1, :\] sums to 1\.00000002"),
        ("P tiny negative", edit("P", setitem((1, 0, 1), -2e-8)), ValueError,
         r"P\[1, 0, 1\] is -2e-08, expected a probability \(>= 0"),
        ("rho entry > 1", edit("rho", setitem(0, 1 + 2e-8)), ValueError, r"rho\[0\] is 1\.00000002, expected a probability"),
        ("rho sum just off", edit("rho", setitem(1, 2e-8)), ValueError, r"rho sums to 1\.00000002, expected 1"),
        ("P complex", edit("P", lambda a: a + 0j), TypeError, r"P must be an array of real numbers, got complex"),
        ("R strings", edit("R", lambda a: a.astype(str)), TypeError, r"R must be an array of numbers, got strings"),
        ("rho bools", edit("rho", lambda a: a > 0), TypeError, r"rho must be an array of numbers, got bools"),
        ("gamma inf", edit("gamma", lambda g: np.inf), ValueError, r"gamma must lie in \[0, 1\], got inf"),
        ("gamma complex", edit("gamma", lambda g: 1 + 0j), TypeError, r"gamma must be a real number, got complex"),
    ]


@pytest.mark.parametrize("label, kwargs, exc, pattern", bad_cases(), ids=[c[0] for c in bad_cases()])
def test_bad_input_raises_and_leaves_inputs_unchanged(label, kwargs, exc, pattern):
    before = {k: np.array(v, copy=True) for k, v in kwargs.items()}
    with pytest.raises(exc, match=pattern):
        pg.TabularMDP(**kwargs)
    for k, v in kwargs.items():
        assert np.array_equal(np.asarray(v), before[k], equal_nan=before[k].dtype.kind == "f"), k


def test_rows_within_the_tolerance_are_renormalised_so_J_is_right():
    # Issue 11 B2: a self-loop of probability 1 + 4e-9 used to be kept as given; with gamma = 1,
    # I - P_pi then has the wrong sign where the policy rarely leaves state 0, and J came out
    # positive (about +8e8 at p(right) = 3e-9) although every reward is -1.
    P, R, rho, terminal = corridor_arrays()
    P[0, 0, 0] = 1 + 4e-9
    rho = np.array([1 + 4e-9, 0.0, 0.0, -4e-9])
    kept = P.copy(), rho.copy()
    mdp = pg.TabularMDP(P, R, rho, 1.0, terminal)
    assert np.array_equal(P, kept[0]) and np.array_equal(rho, kept[1])  # inputs untouched
    fresh = pg.envs.short_corridor()
    assert np.array_equal(mdp.P, fresh.P) and np.array_equal(mdp.rho, fresh.rho)  # renormalised exactly
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    for p in (0.05, 3e-9):
        theta = np.array([np.log(p / (1 - p)), 0.0])
        J = pg.exact.expected_return(mdp, policy, theta)
        # Sutton & Barto (2018), Example 13.1: J(p) = (2p - 4) / (p (1 - p)); I - P_pi has condition ~ 1/p
        assert J < 0 and np.isclose(J, (2 * p - 4) / (p * (1 - p)), rtol=1e-6)


def test_renormalised_rows_sum_to_one():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(5), size=(5, 3)) * (1 + rng.uniform(-0.9e-8, 0.9e-8, size=(5, 3, 1)))
    mdp = pg.TabularMDP(P, np.zeros((5, 3)), np.full(5, 0.2), 0.9)
    assert np.abs(P.sum(axis=2) - 1).max() > 1e-9  # the input really was off
    assert np.abs(mdp.P.sum(axis=2) - 1).max() < 1e-15 and np.allclose(mdp.P, P, rtol=1e-8)

