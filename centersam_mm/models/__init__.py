from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .segmenters import *  # noqa: F401,F403
from .scorers import *  # noqa: F401,F403
