"""Crowd work, provider-neutral: planning, posting, review, payments and link-out visits.

Every face (CLI, panels, REST handlers, notebooks) calls these functions; the platforms sit
behind ``workbench.crowd.providers`` and are reached only through them.
"""
