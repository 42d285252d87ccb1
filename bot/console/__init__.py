"""The terminal adapter: the ``jazzbot>`` prompt over the shared services."""
