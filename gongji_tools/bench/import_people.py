"""How fast ``gongji import people`` loads a province: a synthetic file of N people, loaded into an empty database.

    .venv/bin/python -m gongji_tools.bench.import_people --people 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_import

The database is created by the caller and must be empty (``gongji db upgrade`` is run here). Prints the file's
size and the time to write it, then the import's wall-clock and CPU seconds (this process: reading, checking,
sending; the database server's own work is not in it), rows per second, the largest resident memory of this
process, the load average before and after, and whether ``gongji check`` holds. On a shared machine, read the CPU
seconds and the load next to the wall-clock figure.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from gongji.actors import Actor
from gongji.db import Database
from gongji.env import Env
from gongji.imports import runner
from gongji.imports.people import PeopleLoader
from gongji.ledger import service as ledger
from gongji_tools.bench.people_file import write_people_file


def _load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def measure(url: str, people: int, *, chunk_rows: int, file: Path | None = None) -> dict:
    env = Env()
    folder = Path(tempfile.mkdtemp(prefix="gongji-import-"))
    path = file or folder / f"people-{people}.csv"
    started = time.perf_counter()
    if file is None:
        write_people_file(path, people, today=env.today())
    written_s = time.perf_counter() - started
    db = Database(url)
    db.upgrade()
    load_before = _load()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=Actor.system("bench"),
                                chunk_rows=chunk_rows)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    check = db.read(ledger.check)
    db.dispose()
    return {
        "people": people, "file_bytes": path.stat().st_size, "file_written_s": round(written_s, 1),
        "loaded": summary.rows_loaded, "rejected": summary.rows_rejected, "chunk_rows": chunk_rows,
        "wall_s": round(wall, 1), "cpu_s_this_process": round(cpu, 1), "rows_per_s": round(people / wall),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_before": load_before, "load_after": _load(), "cpus": os.cpu_count(), "ledger_check_ok": check.ok,
        "dialect": db.dialect, "today": str(date.today()),
    }


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--chunk-rows", type=int, default=runner.DEFAULT_CHUNK_ROWS)
    parser.add_argument("--file", type=Path, help="load this file instead of writing one")
    args = parser.parse_args()
    print(json.dumps(measure(args.database_url, args.people, chunk_rows=args.chunk_rows, file=args.file), indent=2))


if __name__ == "__main__":
    main()
