"""The package version, read by packaging, ``migrations_tasks.__version__`` and the User-Agent (leaf).

There is no ``--version`` flag; ``pip show migrations-tasks`` shows the installed version.
"""

__version__ = "0.2.0"
