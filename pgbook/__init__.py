"""pgbook: policy gradients derived, checked and shown moving.

Importing pgbook has no side effects: no seeding, no matplotlib style changes.
The math modules (mdp, policies, exact, gradcheck, rollout, estimators, envs) never import drawing;
the other submodules (`pg.plots`, `pg.symbolic`, ...) are imported on first use, so a plain
`import pgbook` does not load matplotlib or sympy.
"""
import importlib

from . import envs, estimators, exact, gradcheck, rollout
from .mdp import TabularMDP
from .policies import SoftmaxPolicy

_LAZY = ("plots", "animation", "widgets", "symbolic", "learn", "variance", "pathwise", "gaussian",
         "theorem", "surrogate")

__all__ = ["TabularMDP", "SoftmaxPolicy", "envs", "estimators", "exact", "gradcheck", "rollout"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """Import a helper submodule on first attribute access (PEP 562), e.g. `pg.plots.use_style()`."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pgbook' has no attribute {name!r}")
