"""pytest configuration: deterministic hypothesis runs (the same examples on every machine)."""
import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # tests draw without a display

settings.register_profile("pgbook", derandomize=True, deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pgbook")
