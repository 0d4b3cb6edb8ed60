"""Tools beside the product: the benchmark, the demo, the verification run, the federation example and checker, and
the example HIS client. A province deploys :mod:`gongji`; nothing in it imports this package (tests/test_imports.py).
Their commands join the ``gongji`` command line through the ``gongji.commands`` entry point (pyproject.toml)."""
