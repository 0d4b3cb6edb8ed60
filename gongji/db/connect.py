"""Connection URLs: the forms an operator writes, turned into what SQLAlchemy and psycopg take.

* ``postgres://`` and ``postgresql://`` use the psycopg 3 driver (``postgresql+psycopg://``).
* A libpq multi-host URL, as ``pg_autoctl show uri`` prints it, names every node of a failover group::

      postgresql://gongji@10.0.0.1:5432,10.0.0.2:5432/gongji?target_session_attrs=read-write

  psycopg tries the hosts in turn and keeps the first that accepts writes, so after a failover new connections find
  the new primary by themselves. SQLAlchemy takes the hosts as repeated ``host=`` query parameters; the URL is
  rewritten to that form (``postgresql+psycopg://gongji@/gongji?host=10.0.0.1:5432&host=10.0.0.2:5432&...``).
* ``prepare_threshold=none`` in the query (psycopg's own setting, not a libpq one, so it is taken out of the URL and
  given to psycopg directly): no server-side prepared statements, which a pooler in transaction mode (PgBouncer
  before 1.21) cannot carry from one server connection to another. A number sets after how many runs psycopg
  prepares a statement (psycopg's default is 5).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters of a Gongji URL that are psycopg connection options rather than libpq ones.
DRIVER_OPTIONS = ("prepare_threshold",)


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` (also with several hosts) and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgresql+psycopg://"):
        url = _multi_host_to_query(url)
    return url


def _multi_host_to_query(url: str) -> str:
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return url
    query = [("host", host) for host in hosts.split(",") if host] + parse_qsl(parts.query, keep_blank_values=True)
    netloc = f"{userinfo}@" if userinfo else ""
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe=":,/"), parts.fragment))


def driver_options(url: str) -> tuple[str, dict[str, Any]]:
    """``url`` without the psycopg options of :data:`DRIVER_OPTIONS`, and those options as connect arguments.

    ``prepare_threshold=none`` (or ``off``) becomes ``None``: psycopg then never prepares a statement on the server.
    """
    parts = urlsplit(url)
    kept, options = [], {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "prepare_threshold":
            if value.lower() in ("none", "off", ""):
                options[name] = None
            elif value.isdigit():
                options[name] = int(value)
            else:
                raise ValueError(f"prepare_threshold={value!r} in the database URL: use a number or none")
        else:
            kept.append((name, value))
    if not options:
        return url, {}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept, safe=":,/"), parts.fragment)), options


def hosts_of(url: str) -> list[str]:
    """The ``host:port`` pairs a PostgreSQL URL names (one for a plain URL), for messages and logs."""
    parts = urlsplit(normalize_url(url))
    named = [value for name, value in parse_qsl(parts.query) if name == "host"]
    if named:
        return named
    return [parts.netloc.rpartition("@")[2]] if parts.netloc else []
