"""JupyterLab (and Voila) panels: ipywidgets faces over the core, one core call per action.

    from workbench.panels import ProjectOverview, HITManager, ReviewQueue, MTurkPanel
    ReviewQueue(provider, "birds")

Each panel shows its action's success or error in its status line. This package is the
widget face, so it imports ipywidgets; ``workbench`` itself never imports it.
"""

from .base import Panel
from .collab import CollabMonitor
from .hit_manager import HITManager
from .mturk_panel import MTurkPanel
from .overview import ProjectOverview
from .review_queue import AssignmentCard, ReviewQueue

__all__ = ["AssignmentCard", "CollabMonitor", "HITManager", "MTurkPanel", "Panel", "ProjectOverview", "ReviewQueue"]
