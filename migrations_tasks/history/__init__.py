"""Files and history, pure: SQL files (``sqlfile``, ``down``), migrations (``migrations``), the ledger's SQL
(``ledger``) and each version's status, local files against ledger rows (``status``)."""
