"""Widget panels for JupyterLab: each a thin face over one core function."""
