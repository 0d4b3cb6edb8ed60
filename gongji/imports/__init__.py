"""Loading files an insurer receives: people, contributions, life events.

One framework, used by every kind of file (:mod:`gongji.imports.runner`):

* :mod:`~gongji.imports.reading` reads CSV and JSON lines liberally (a byte-order mark, UTF-8 or GBK, a comma, tab,
  semicolon or bar between fields, Chinese or English column names and their usual variants);
* a kind of file is a :class:`~gongji.imports.runner.Loader`: the fields it knows and how it loads a chunk of rows;
* rows go in chunks, each chunk one transaction that also moves the run's checkpoint (:mod:`~gongji.imports.models`),
  so a run that crashed resumes after its last committed chunk and loads nothing twice;
* a row that fails a check is rejected with its row number, field and reason in Chinese and English: it loads
  nothing of itself and the rest of the file loads (:mod:`~gongji.imports.report`);
* bulk writes use ``COPY`` on PostgreSQL and ``executemany`` on SQLite (:mod:`~gongji.imports.bulk`).
"""
