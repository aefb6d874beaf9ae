"""Output shared by every wing: the ``Reporter`` (tables, JSON documents, progress and error lines) and
GitHub Actions (``github``: workflow commands, the step summary, step outputs)."""
