"""An example HIS client of the national interface (``examples/his_visit.py`` uses it)."""
