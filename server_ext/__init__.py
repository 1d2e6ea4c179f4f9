"""The Jupyter server extension of HITL Workbench (researcher API and worker pages)."""
