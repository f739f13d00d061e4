"""ledgerlink: the application shell (typer CLI, settings, wiring).

Everything heavy is imported inside the commands so that ``--help`` stays fast.
"""

__version__ = "0.1.0"
