"""The hostile-input campaign of issue 14, in parts; ``benchmarks/hostile_campaign.py`` runs it and says how.

``payloads`` holds the hostile values, ``wire`` the requests as bytes and the tally of their answers, ``study`` the
store the campaign runs against, ``draw`` with ``worker_routes``, ``researcher_routes`` and ``flood`` the seeded
flood, ``burst`` the honest submissions around poisoned ones, ``socket_probe`` the collaboration socket, ``mturk``
the hostile answers before sync and ingest, ``report`` the figures and what fails the run, ``run`` the whole of it.
"""
