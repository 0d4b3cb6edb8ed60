"""Set-based batch jobs: monthly crediting, the year-end roll-over, and closing expired bindings.

Each job cuts its population into fixed chunks of ids (:mod:`gongji.batch.runner`); one chunk is one
transaction that does its work in a few SQL statements and records itself as done in ``batch_chunks``. A
period's job is idempotent (done chunks are skipped) and resumable (a crash leaves only whole chunks done).

* :func:`gongji.batch.crediting.credit_month` – the month's credit into current-year funds (``gongji credit-month``);
* :func:`gongji.batch.year_end.year_end` – current-year into prior-years funds, D-1 (``gongji year-end``);
* :func:`gongji.batch.expiry.close_expired_bindings` – bindings past their end date, D-3 (``gongji close-expired``).
"""
