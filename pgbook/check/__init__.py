"""Self-checking exercises: `pg.check.<exercise>(answer)` holds a learner's answer against the exact one.

Each chapter's checkers live in their own module (`ch01.py`, `ch02.py`, ...) and are re-exported
here automatically, so `pg.check.softmax_score(my_function)` works whichever chapter defines it.
A checker never raises on a wrong answer: it returns a `Verdict` that says what is right or what is
wrong, which a notebook cell displays. Importing this package imports every chapter's module;
chapter modules import heavy dependencies (sympy, JAX) inside their functions.
"""
from __future__ import annotations

import importlib
import pkgutil

from ._core import Verdict

__all__ = ["Verdict"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("ch"):
        _module = importlib.import_module(f".{_info.name}", __name__)
        for _name in _module.__all__:
            if _name in globals():  # two chapters must not claim one name
                raise ImportError(f"pgbook.check: {_name!r} is defined by two chapter modules")
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
