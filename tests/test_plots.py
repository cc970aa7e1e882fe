"""Tests for pgbook.plots: each helper returns its axis and draws exactly the data it was given."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from pgbook import plots


def test_mc_error_curve_draws_data_and_a_half_slope_guide():
    n = np.array([10, 100, 1000])
    err = np.array([1.0, 0.4, 0.1])
    fig, ax = plt.subplots()
    out = plots.mc_error_curve(n, err, ax=ax)
    assert out is ax
    data, guide = ax.get_lines()
    np.testing.assert_allclose(data.get_xdata(), n)
    np.testing.assert_allclose(data.get_ydata(), err)
    # the guide goes through the first point with slope exactly -1/2 in log-log coordinates
    slope = np.polyfit(np.log(guide.get_xdata()), np.log(guide.get_ydata()), 1)[0]
    assert slope == pytest.approx(-0.5)
    assert guide.get_ydata()[0] == pytest.approx(err[0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    plt.close(fig)


def test_mc_error_curve_without_guide_makes_its_own_axis():
    ax = plots.mc_error_curve([1, 2], [0.5, 0.3], guide=False)
    assert len(ax.get_lines()) == 1
    plt.close(ax.figure)


@pytest.mark.parametrize("n, err, match", [
    ([1, 2, 3], [1.0, 2.0], "n has shape"),
    ([0, 2], [1.0, 2.0], "positive"),
    ([1, 2], [1.0, -2.0], "positive"),
    ([], [], "non-empty"),
])
def test_mc_error_curve_rejects_bad_input(n, err, match):
    with pytest.raises(ValueError, match=match):
        plots.mc_error_curve(n, err)
