"""Live explorers: sliders over the figures of `pgbook.explorers` (a helper module; notebooks 03 to 06, 09, 10).

Each explorer is a row of controls above an image. Releasing a slider (`continuous_update=False`:
one redraw per release, not one per pixel dragged) calls the explorer's figure function on the
figure it drew before, which only updates the data (`pgbook.explorers.View`), and shows the new
frame as a JPEG.
Needs a live kernel; in a static view the notebook's next cell shows the same function's figure.
ipywidgets is imported inside the functions: nothing else in pgbook needs it.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Callable

import matplotlib.pyplot as plt

from . import explorers
from ._boxes import labelled_vbox
from .explorers import bandit_learning, baseline_cloud, gae_tradeoff, ppo_epochs, score_vs_pathwise, view_of

if TYPE_CHECKING:
    from ipywidgets import VBox

RELEASED = dict(continuous_update=False)  # sliders redraw when released, not while dragged
# what an explorer shows where widgets cannot render (before its cell is run, in a static view)
EXPLORER_TEXT = "live explorer: run this cell for sliders; the figure below shows representative settings"


def explorer(figure: Callable, controls: dict) -> VBox:
    """An ipywidgets box: `controls` (argument name -> control) above the image of
    figure(**values, axes=...). A ValueError from `figure` is shown in words above the image."""
    import ipywidgets as w

    values = lambda: {name: c.value for name, c in controls.items()}  # noqa: E731
    fig = figure(**values())
    plt.close(fig)  # shown through the image below, not as a static copy when the cell ends
    v = view_of(fig)
    image = w.Image(value=v.jpeg(), format="jpeg", layout=w.Layout(max_width="100%", height="auto"))
    message = w.HTML()

    def redraw(_change=None):
        try:
            figure(**values(), axes=v.axes)
        except ValueError as err:
            message.value = f'<span style="color:#D55E00">{html.escape(str(err))}</span>'
            return
        message.value = ""
        image.value = v.jpeg()

    for c in controls.values():
        c.style.description_width = "initial"
        c.observe(redraw, names="value")
    row = w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap"))
    return labelled_vbox([row, message, image], EXPLORER_TEXT)


def gradient_check_explorer() -> VBox:
    """Notebook 03: episodes N and finite-difference step eps (`explorers.gradient_check_figure`)."""
    import ipywidgets as w

    return explorer(explorers.gradient_check_figure, dict(
        n_episodes=w.SelectionSlider(**RELEASED, options=[10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
                                     value=100, description="episodes N"),
        eps=w.FloatLogSlider(**RELEASED, value=1e-5, base=10, min=-12, max=-1, step=0.5, description="step ε"),
        seed=w.IntSlider(**RELEASED, value=0, min=0, max=9, description="seed")))


def bandit_explorer(means=bandit_learning.MEANS) -> VBox:
    """Notebook 04: step size, batch size, updates, reward offset, seed (`explorers.bandit_learning_figure`)."""
    import ipywidgets as w

    return explorer(lambda **kw: explorers.bandit_learning_figure(means=means, **kw), dict(
        alpha=w.FloatLogSlider(**RELEASED, value=0.5, base=10, min=-2, max=1, description="step size α"),
        batch_size=w.IntSlider(**RELEASED, value=4, min=1, max=64, description="batch size"),
        n_updates=w.IntSlider(**RELEASED, value=100, min=10, max=400, step=10, description="updates"),
        reward_offset=w.FloatSlider(**RELEASED, value=0.0, min=-20, max=20, step=1, description="offset"),
        seed=w.IntSlider(**RELEASED, value=0, min=0, max=20, description="seed")))


def baseline_explorer() -> VBox:
    """Notebook 05: returns, baseline, batch size (`explorers.baseline_cloud_figure`)."""
    import ipywidgets as w

    return explorer(explorers.baseline_cloud_figure, dict(
        problem=w.Dropdown(options=list(baseline_cloud.PROBLEMS), value="short corridor", description="problem"),
        returns=w.ToggleButtons(options=[("total return", "total"), ("reward-to-go", "reward_to_go")],
                                value="total", description="returns"),
        baseline=w.ToggleButtons(options=list(baseline_cloud.BASELINES), value="none", description="baseline"),
        batch_size=w.SelectionSlider(**RELEASED, options=list(baseline_cloud.BATCH_SIZES), value=8,
                                     description="batch size N"),
        seed=w.IntSlider(**RELEASED, value=0, min=0, max=9, description="seed")))


def score_vs_pathwise_explorer() -> VBox:
    """Notebook 06: sigma and the steepness of the cost (`explorers.score_vs_pathwise_figure`)."""
    import ipywidgets as w

    steepness = [(("step" if x == 0 else f"{x:g}"), x) for x in score_vs_pathwise.WIDTHS]
    return explorer(explorers.score_vs_pathwise_figure, dict(
        sigma=w.SelectionSlider(**RELEASED, options=[2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01], value=0.5,
                                description="σ"),
        width=w.SelectionSlider(**RELEASED, options=steepness, value=0.01, description="cost width w"),
        seed=w.IntSlider(**RELEASED, value=0, min=0, max=9, description="seed")))


def gae_explorer() -> VBox:
    """Notebook 09: critic, GAE lambda and batch size (`explorers.gae_tradeoff_figure`)."""
    import ipywidgets as w

    return explorer(explorers.gae_tradeoff_figure, dict(
        critic=w.Dropdown(options=list(gae_tradeoff.CRITICS), value="TD(0), 20 episodes", description="critic"),
        lam=w.SelectionSlider(**RELEASED, options=list(gae_tradeoff.LAMBDAS), value=0.8, description="λ"),
        batch_size=w.SelectionSlider(**RELEASED, options=list(gae_tradeoff.BATCH_SIZES), value=32,
                                     description="batch size B")))


def ppo_explorer() -> VBox:
    """Notebook 10: clip epsilon, step size, epochs, batch seed (`explorers.ppo_epochs_figure`)."""
    import ipywidgets as w

    # a selection's value cannot be None (ipywidgets reads None as "nothing selected"): "none" stands for it
    clips = [("none", "none") if c is None else (f"{c:g}", c) for c in ppo_epochs.CLIPS]

    def figure(clip, **kw):
        return explorers.ppo_epochs_figure(clip=None if clip == "none" else clip, **kw)

    return explorer(figure, dict(
        clip=w.SelectionSlider(**RELEASED, options=clips, value=0.2, description="clip ε"),
        alpha=w.SelectionSlider(**RELEASED, options=[(f"{a:g}", a) for a in ppo_epochs.ALPHAS], value=0.002,
                                description="step size α"),
        n_epochs=w.IntSlider(**RELEASED, value=100, min=10, max=ppo_epochs.MAX_EPOCHS, step=10, description="epochs"),
        seed=w.IntSlider(**RELEASED, value=10, min=0, max=19, description="batch seed")))
