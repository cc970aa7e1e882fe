"""pgbook: policy gradients derived, checked and shown moving.

Importing pgbook has no side effects: no seeding, no matplotlib style changes.
The math modules (mdp, policies, exact, gradcheck, rollout, estimators, envs) never import drawing.
"""
from . import envs, estimators, exact, gradcheck, rollout
from .mdp import TabularMDP
from .policies import SoftmaxPolicy

__all__ = ["TabularMDP", "SoftmaxPolicy", "envs", "estimators", "exact", "gradcheck", "rollout"]
__version__ = "0.1.0"
