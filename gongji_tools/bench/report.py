"""Percentiles, and the JSON and Markdown reports of a benchmark run."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gongji_tools.bench.workload import ClientResult


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (``p`` in 0..100) of values sorted ascending; 0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Phase:
    """One timed run of the workload: through the service layer or over HTTP."""

    name: str  # service | http
    clients: int
    seconds: float
    operations: int
    throughput: float  # operations per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    by_kind: dict[str, int]
    errors: dict[str, int]
    mutual_aid: int
    server_rss_mb: float | None = None  # the peak resident memory of the server's processes (HTTP only)
    server_cpu_ms: float | None = None  # processor time of the server's processes per operation (HTTP only)
    client_cpu_ms: float | None = None  # processor time of the HTTP clients' process per operation (HTTP only)
    overdrawn: int | None = None  # personal accounts below zero after the phase (hot payer only)
    lost_fen: int | None = None  # the hot payer's start less what was paid less his end balance: 0 (hot payer only)

    @classmethod
    def of(cls, name: str, clients: int, seconds: float, result: ClientResult, **extra) -> Phase:
        values = sorted(result.latencies)
        ms = [v * 1000 for v in (percentile(values, 50), percentile(values, 95), percentile(values, 99),
                                  values[-1] if values else 0.0)]
        return cls(name=name, clients=clients, seconds=round(seconds, 2), operations=len(values),
                   throughput=round(len(values) / seconds, 1) if seconds else 0.0,
                   p50_ms=round(ms[0], 2), p95_ms=round(ms[1], 2), p99_ms=round(ms[2], 2), max_ms=round(ms[3], 2),
                   by_kind=dict(result.by_kind), errors=dict(result.errors), mutual_aid=result.mutual_aid, **extra)


@dataclass
class Target:
    what: str
    goal: str
    reached: str
    met: bool | None  # None: not measured in this run


@dataclass
class Report:
    database: str  # sqlite | postgresql
    people: int
    machine: dict[str, Any]
    load: dict[str, Any]
    phases: list[Phase] = field(default_factory=list)
    pgbench: list[dict[str, Any]] = field(default_factory=list)
    batch: dict[str, Any] = field(default_factory=dict)
    ledger: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    command: str = ""
    #: One settlement's time split (gongji_tools.bench.breakdown): per mode, ms of Python, PostgreSQL and waiting.
    breakdown: dict[str, Any] = field(default_factory=dict)
    #: The machine's load average (1, 5, 15 minutes) when the run began and when it ended.
    load_average: dict[str, Any] = field(default_factory=dict)

    @property
    def pgbench_tps(self) -> float | None:
        """The mean of pgbench's runs (before and after Gongji's), the reference for the ratios."""
        if not self.pgbench:
            return None
        return round(sum(r["tps"] for r in self.pgbench) / len(self.pgbench), 1)

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)

    def as_json(self) -> str:
        data = asdict(self)
        data["pgbench_tps"] = self.pgbench_tps
        return json.dumps(data, ensure_ascii=False, indent=2)

    def as_markdown(self) -> str:
        m = self.machine
        lines = [
            f"# Gongji benchmark: {self.people:,} people on {self.database}",
            "",
            f"`{self.command}`" if self.command else "",
            "",
            f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gb', '?')} GB; "
            f"Python {m.get('python')}; {m.get('database_version', '')}.",
            "",
            f"Population: {self.load.get('people', 0):,} people in {self.load.get('households', 0):,} households "
            f"({self.load.get('employees', 0):,} employees, {self.load.get('residents', 0):,} residents), "
            f"{self.load.get('bindings', 0):,} bindings; loaded in {self.load.get('seconds')} s "
            f"({self.load.get('rows_per_second', 0):,} rows/s).",
            "",
            "| phase | clients | ops/s | p50 ms | p95 ms | p99 ms | max ms | operations | errors | ratio to pgbench |",
            "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
        ]
        reference = self.pgbench_tps
        for p in self.phases:
            ratio = f"{p.throughput / reference:.3f}" if reference else "–"
            errors = sum(p.errors.values())
            lines.append(f"| {p.name} | {p.clients} | {p.throughput:,.1f} | {p.p50_ms} | {p.p95_ms} | {p.p99_ms} | "
                         f"{p.max_ms} | {p.operations:,} | {errors} | {ratio} |")
        for run in self.pgbench:
            lines.append(f"| pgbench tpcb-like ({run['when']}) | {run['clients']} | {run['tps']:,.1f} | | | | | "
                         f"{run['transactions']:,} | 0 | 1 |")
        if any(p.errors for p in self.phases):
            lines += ["", "Refusals and errors: " + "; ".join(
                f"{p.name}: " + ", ".join(f"{code} × {n}" for code, n in sorted(p.errors.items()))
                for p in self.phases if p.errors)]
        rss = [p.server_rss_mb for p in self.phases if p.server_rss_mb is not None]
        if rss:
            lines += ["", f"Server memory under load (peak resident set, all server processes): {max(rss):.0f} MB."]
        cpu = [p for p in self.phases if p.server_cpu_ms is not None]
        if cpu:
            lines += ["", "Processor time per operation over HTTP (user and system): " + "; ".join(
                f"{p.name}: server {p.server_cpu_ms} ms, client {p.client_cpu_ms} ms" for p in cpu) + "."]
        if self.breakdown:
            lines += ["", "One settlement, one client, one after another (ms each; waiting: the rest of the wall-clock "
                      "time):", "", "| mode | settlements | per second | wall | Python | PostgreSQL | waiting |",
                      "| --- | --: | --: | --: | --: | --: | --: |"]
            for mode, b in self.breakdown.items():
                lines.append(f"| {mode} | {b['settlements']:,} | {b['per_second']:,.1f} | {b['wall_ms']} | "
                             f"{b['python_ms']} | {b.get('postgresql_ms', '–')} | {b['waiting_ms']} |")
        if self.load_average:
            lines += ["", "Load average (1, 5, 15 min): " + "; ".join(
                f"{when} {', '.join(f'{x:.2f}' for x in values)}" for when, values in self.load_average.items())
                + f" on {m.get('cores', '?')} cores."]
        if self.batch:
            lines += ["", "| batch job | seconds | rows |", "| --- | --: | --: |"]
            for name, job in self.batch.items():
                lines.append(f"| {name} | {job.get('seconds')} | {job.get('rows', '')} |")
        if self.ledger:
            state = "ok" if self.ledger.get("ok") else "FAILED"
            lines += ["", f"Ledger check after the run: {state} (total {self.ledger.get('total_fen')} fen, "
                          f"{self.ledger.get('negative', 0)} negative balances, "
                          f"{self.ledger.get('mismatches', 0)} balances differing from postings, "
                          f"{self.ledger.get('unbalanced', 0)} unbalanced entries; {self.ledger.get('seconds')} s)."]
        if self.targets:
            lines += ["", "| target | goal | reached | met |", "| --- | --- | --- | --- |"]
            for t in self.targets:
                met = "–" if t.met is None else ("yes" if t.met else "no")
                lines.append(f"| {t.what} | {t.goal} | {t.reached} | {met} |")
        return "\n".join(lines) + "\n"

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
        json_path.write_text(self.as_json() + "\n")
        md_path.write_text(self.as_markdown())
        return json_path, md_path


def machine(database_version: str = "") -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(), "database_version": database_version}
