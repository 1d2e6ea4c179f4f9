"""Study design: projects, task types and definitions, tasks, assets, imports, plugins."""
