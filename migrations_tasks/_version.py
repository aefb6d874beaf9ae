"""The package version: the one source that packaging, the User-Agent and ``--version`` read (leaf)."""

__version__ = "0.2.0"
