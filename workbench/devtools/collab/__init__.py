"""The collaboration demo: a server in a child process and a simulated worker."""
