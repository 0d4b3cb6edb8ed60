"""The benchmark harness behind ``gongji bench`` (docs/performance.md).

* :mod:`~gongji_tools.bench.population` writes a synthetic province of N people straight into the tables (COPY on
  PostgreSQL, executemany on SQLite): households, employees and residents, balances, bindings, families.
* :mod:`~gongji_tools.bench.workload` is the mix of bills (own account only, mutual aid, refunds) and the clients that send
  it, through the service layer or over HTTP.
* :mod:`~gongji_tools.bench.pgbench` runs PostgreSQL's own ``pgbench`` (tpcb-like) against the same server: the cost of one
  small banking transaction on this machine, the physical reference for the figures.
* :mod:`~gongji_tools.bench.report` turns latencies into percentiles and writes the JSON and Markdown reports.
* :mod:`~gongji_tools.bench.run` puts them together.
"""
