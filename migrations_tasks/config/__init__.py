"""Inputs: the environment and ``.env`` (``sources``), configuration checks (``validate``), connection URLs
(``dburl``) and the ``migrations`` section's one reader (``settings``)."""
