"""Human–agent collaboration studies: agent participants, live sessions, transcripts.

``design`` (configuration, conditions, balanced randomisation), ``sessions`` (the waiting
room, seats, grace periods, ends), ``paradigms`` (the games as pure state machines),
``agents`` (local and OpenAI-compatible), ``hub`` (the live, in-process side used by the
WebSocket handler), ``export`` and ``metrics`` (transcripts and dashboard figures).
"""
