"""A widget box whose plain-text form says what it is.

Where widgets cannot render (an untrusted notebook, a static view, a notebook before its cell is
run) a viewer shows the output's text/plain, which ipywidgets makes from repr():
"VBox(children=(HBox(children=(SelectionSlider(...". A box made here shows its label instead.
ipywidgets is imported on first use: nothing else in pgbook needs it.
"""
from __future__ import annotations

from typing import Any

_LABELLED = None  # the VBox subclass, made on first use


def labelled_vbox(children: list, label: str) -> Any:
    """An ipywidgets VBox of `children` whose repr (so its text/plain) is `label`."""
    global _LABELLED
    if _LABELLED is None:
        import ipywidgets as w

        class LabelledVBox(w.VBox):
            """A VBox whose text/plain is a sentence for readers who cannot see the widgets."""

            def __init__(self, children: list, label: str) -> None:
                super().__init__(children)
                self._label = label

            def __repr__(self) -> str:
                return self._label

        _LABELLED = LabelledVBox
    return _LABELLED(children, label)
