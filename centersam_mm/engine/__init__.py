"""Training-engine parts registered into MMEngine / MMDetection registries."""
from .optimizers import *  # noqa: F401,F403
