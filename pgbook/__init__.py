"""pgbook: policy gradients derived, checked and shown moving.

Importing pgbook has no side effects: no seeding, no matplotlib style changes.
The math modules (mdp, policies, exact, gradcheck, rollout, estimators, montecarlo, envs) are
imported here and never import drawing; every other submodule (`pg.plots`, `pg.symbolic`,
`pg.learn`, ...) is imported on first use, so a plain `import pgbook` loads neither matplotlib,
sympy nor JAX.
"""
import importlib
import importlib.util

from . import envs, estimators, exact, gradcheck, montecarlo, rollout
from .mdp import TabularMDP
from .policies import SoftmaxPolicy

__all__ = ["TabularMDP", "SoftmaxPolicy", "envs", "estimators", "exact", "gradcheck", "montecarlo",
           "rollout"]
__version__ = "0.2.0"


def __getattr__(name: str):
    """Import a public submodule on first attribute access (PEP 562), e.g. `pg.plots.use_style()`."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pgbook' has no attribute {name!r}")
