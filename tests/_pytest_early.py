"""Loaded before any other plugin (pyproject.toml addopts: -o pythonpath=tests -p _pytest_early).

nbval imports nbformat, which imports jsonschema, which imports `rfc3987_syntax` if it is installed
(jupyter-events pulls it in): building its three Lark grammars takes about 1 s of CPU at import, in
each of the three pytest processes (the xdist controller and both workers). It only adds jsonschema's
optional "iri" format checks, which nothing in a test process uses (nbformat validates notebooks
without format checks), so here jsonschema does without it, as when it is not installed. Processes the
tests start (the notebook kernels, the JupyterLab server, the book build) are not affected.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` now raises ImportError
