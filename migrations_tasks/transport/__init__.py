"""Transports: the ``Database`` protocol (``database``), the API's result-set rule (``rowsets``), the
Management API (``management_api``), a direct PostgreSQL connection (``postgres``), and ``connect()``."""
