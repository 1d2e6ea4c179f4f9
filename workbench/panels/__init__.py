"""JupyterLab (and Voila) panels: ipywidgets faces over the core, one core call per action.

    from workbench.panels import ProjectOverview, WorkManager, ReviewQueue, ProviderPanel
    ReviewQueue(provider, "birds")

Each panel shows its action's success or error in its status line, and says the provider's own
words (``provider.words``: HIT or study, assignment or submission, worker or participant); what
only some platforms can do appears by capability (``workbench.crowd.capabilities``), never by
the provider's name. ``HITManager`` and ``MTurkPanel`` are the earlier names of ``WorkManager``
and ``ProviderPanel``. This package is the widget face, so it imports ipywidgets; ``workbench``
itself never imports it.
"""

from .base import Panel
from .collab import CollabMonitor
from .overview import ProjectOverview
from .provider_panel import MTurkPanel, ProviderPanel
from .review_queue import AssignmentCard, ReviewQueue
from .work_manager import HITManager, WorkManager

__all__ = ["AssignmentCard", "CollabMonitor", "HITManager", "MTurkPanel", "Panel", "ProjectOverview", "ProviderPanel",
           "ReviewQueue", "WorkManager"]
