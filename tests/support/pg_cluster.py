"""A throwaway PostgreSQL server for the shared-study tests.

Uses the distribution's ``postgresql`` package (``initdb``/``pg_ctl`` under
``/usr/lib/postgresql/<version>/bin``): a new cluster in a temporary folder, on a
private port, listening on 127.0.0.1 only, password (scram) login over TCP and
trust over its private Unix socket for the administrator. ``initdb`` refuses to run
as root, so as root the cluster runs as the ``postgres`` user (``runuser``).

Roles and databases: superuser ``postgres`` (socket only); login role ``icp`` with
:data:`PASSWORD` (it holds an ``@`` and a ``/``, so URLs must encode it); database
``icp_optuna`` owned by ``icp``; database ``locked`` owned by ``postgres``, where
``icp`` may connect but not create tables in schema public (PostgreSQL 15).

``.ci/run`` starts one for the whole test run::

    python tests/support/pg_cluster.py start DIR   # prints nothing; DIR/cluster.json
    python tests/support/pg_cluster.py stop DIR

and exports ``ICP_XL_TEST_POSTGRES=DIR``; without it the tests' fixture starts its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ENV = "ICP_XL_TEST_POSTGRES"
USER = "icp"
PASSWORD = "pa@ss/w0rd"
DATABASE = "icp_optuna"
LOCKED_DATABASE = "locked"


def find_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (folder with initdb and pg_ctl)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in ``root`` (data in root/data, socket in root)."""

    def __init__(self, root: Path, port: int, bindir: Path):
        self.root, self.port, self.bindir = root, port, bindir

    # -- life cycle
    @classmethod
    def start(cls, root: Path | None = None) -> Cluster:
        """Create and start a new cluster; raises RuntimeError with the server log."""
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        root = Path(root or tempfile.mkdtemp(prefix="icp-pg-"))
        root.mkdir(parents=True, exist_ok=True)
        cluster = cls(root, _free_port(), bindir)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        root.chmod(0o700)
        cluster._run(
            "initdb", "-D", str(root / "data"), "-U", "postgres", "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip
        cluster._pg_ctl("start")
        (root / "cluster.json").write_text(
            json.dumps({"port": cluster.port, "bindir": str(bindir)})
        )
        cluster.admin(
            f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'",
            f"CREATE DATABASE {DATABASE} OWNER {USER}",
            f"CREATE DATABASE {LOCKED_DATABASE}",
        )
        return cluster

    @classmethod
    def attach(cls, root: Path) -> Cluster:
        """The cluster another process started in ``root``."""
        info = json.loads((Path(root) / "cluster.json").read_text())
        return cls(Path(root), int(info["port"]), Path(info["bindir"]))

    def stop(self, remove: bool = True) -> None:
        """Stop the server (fast) and delete its folder."""
        if (self.root / "data" / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", check=False)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def resume(self) -> None:
        """Start the server again after ``stop(remove=False)``."""
        self._pg_ctl("start")

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server (terminating every session), wait ``down_seconds``, start it."""
        self._pg_ctl("stop", "-m", "fast")
        time.sleep(down_seconds)
        self._pg_ctl("start")

    # -- access
    def url(self, database: str = DATABASE, password: str | None = PASSWORD) -> str:
        """``postgresql://icp:<encoded password>@127.0.0.1:port/database``."""
        secret = "" if password is None else ":" + quote(password, safe="")
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str, database: str = "postgres") -> list[tuple]:
        """Run SQL as the superuser over the private socket; rows of the last statement."""
        import psycopg

        with psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname=database,
            autocommit=True,
        ) as connection:  # fmt: skip
            rows: list[tuple] = []
            for statement in statements:
                cursor = connection.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
            return rows

    def new_database(self, name: str) -> str:
        """A fresh database owned by ``icp``; its URL."""
        self.admin(
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name} OWNER {USER}"
        )
        return self.url(name)

    # -- helpers
    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run(self._command(program, *args), capture_output=True, text=True)
        if check and done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr.strip()} {tail}")

    def _pg_ctl(self, action: str, *extra: str, check: bool = True) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=60"
        )
        self._run(
            "pg_ctl", action, "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", *extra, check=check,
        )  # fmt: skip


def main(argv: list[str]) -> int:
    """``start DIR`` or ``stop DIR``."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: pg_cluster.py start|stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    if argv[0] == "start":
        Cluster.start(root)
    elif (root / "cluster.json").exists():
        Cluster.attach(root).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
