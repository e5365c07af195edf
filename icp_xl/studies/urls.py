"""Storage URLs in messages: :func:`normalize_url` accepts ``postgresql://`` with or without
a driver suffix and refuses what SQLAlchemy would misread, :func:`redact` hides a password
in every message, and :func:`describe_error` turns a connection error into one line that
names the cause and the fix."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from icp_xl.core.errors import IcpError

POSTGRES_DRIVER = "postgresql+psycopg"


def is_journal(url: str) -> bool:
    """True for a journal file (a path, or ``journal:PATH``), False for a database URL."""
    return "://" not in url


def normalize_url(url: str) -> str:
    """``url`` ready for SQLAlchemy: ``postgresql://`` gets the psycopg 3 driver suffix
    (``postgresql+psycopg://``; an explicit suffix such as ``+psycopg2`` is kept); a
    journal path is returned stripped. Raises IcpError for ``postgres://`` and for a
    password with an unencoded ``@``."""
    url = url.strip()
    if is_journal(url):
        return url
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "postgres":
        raise IcpError(
            "The storage URL starts with postgres://, which SQLAlchemy does not accept; "
            "write postgresql:// instead"
        )
    userinfo = "" if scheme.lower().startswith("sqlite") else rest.rpartition("@")[0]
    unsafe = next((c for c in "@/#" if c in userinfo), None)
    if unsafe is not None:
        raise IcpError(
            f"The user name or password in the storage URL contains '{unsafe}': write it as "
            f'{quote(unsafe, safe="")} (URL-encode the password, e.g. python -c "import '
            "urllib.parse; print(urllib.parse.quote(input(), safe=''))\")"
        )
    if scheme.lower() == "postgresql":
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


def _password(url: str) -> str | None:
    if is_journal(url):
        return None
    authority = url.partition("://")[2].split("/", 1)[0]
    if "@" not in authority:
        return None
    userinfo = authority.rsplit("@", 1)[0]
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def redact(text: str, url: str | None) -> str:
    """``text`` with the password of ``url`` (as written, decoded or encoded) replaced by
    ``***``; also hides ``password=...`` pairs and ``user:secret@`` in any URL."""
    secret = _password(url) if url else None
    if secret:
        for form in {secret, unquote(secret), quote(unquote(secret), safe="")}:
            if len(form) >= 1:
                text = text.replace(form, "***")
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def shown_url(url: str) -> str:
    """``url`` as shown in messages: the password replaced by ``***``."""
    return redact(url, url)


def _url_parts(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return {"host": "?", "port": "", "database": "?", "user": "?"}
    return {
        "host": parsed.host or "localhost",
        "port": str(parsed.port or 5432),
        "database": parsed.database or "",
        "user": parsed.username or "",
    }


def describe_error(error: BaseException, url: str, during_run: bool = False) -> str:
    """One line: why the storage at ``url`` failed and what to do, never the password;
    ``during_run``: it failed after trials had run (not while being opened)."""
    chain = error_chain(error)
    text = " ".join(str(e) for e in chain)
    parts = _url_parts(url)
    where = (
        f"The Optuna storage {shown_url(url)} failed during the run"
        if during_run
        else f"Cannot open the Optuna storage {shown_url(url)}"
    )
    host, database, user = parts["host"], parts["database"], parts["user"]
    if isinstance(error, ModuleNotFoundError) or "No module named" in text:
        return (
            f"{where}: its database driver is not installed ({first_line(text)}); for "
            "PostgreSQL: pip install 'icp_xl[postgres]'"
        )
    causes = [
        (
            ("password authentication failed", "no password supplied", "authentication failed"),
            f"the server refused user '{user}' or its password; check the user name and "
            "the password (in the URL, PGPASSWORD or ~/.pgpass)",
        ),
        (
            ("could not translate host name", "name or service not known",
             "nodename nor servname", "failed to resolve host", "temporary failure in name"),
            f"unknown host '{host}'; check the host name in the URL",
        ),
        (
            (f'database "{database}" does not exist',),
            f"database '{database}' does not exist on {host}; create it once with: "
            f"createdb -h {host} -U {user or 'USER'} {database}",
        ),
        (
            ("permission denied for schema public",),
            f"user '{user}' may not create tables in schema public of '{database}' "
            "(PostgreSQL 15 and later); as the database owner run: GRANT CREATE ON SCHEMA "
            f"public TO {user or 'USER'};  or create the database with createdb -O "
            f"{user or 'USER'}",
        ),
        (
            ("permission denied",),
            f"user '{user}' lacks a permission ({first_line(text)}); ask the database owner "
            "for the grants in docs/optimizer.md",
        ),
        (
            ("connection refused",),
            f"nothing is listening at {host}:{parts['port']}; check the host and port and "
            "that the PostgreSQL server is running",
        ),
        (
            ("timeout expired", "timed out", "statement timeout"),
            f"the server at {host}:{parts['port']} did not answer in time; check the host, "
            "the port and the network (firewall)",
        ),
        (
            ("unable to open database file",),
            "the SQLite file cannot be created or opened; check that its folder exists and "
            "is writable",
        ),
        (
            ("can't load plugin",),
            "unknown database type in the URL; use postgresql://, sqlite:/// or a journal "
            "file path",
        ),
    ]  # fmt: skip
    lowered = text.lower()
    for needles, cause in causes:
        if any(needle.lower() in lowered for needle in needles):
            return redact(f"{where}: {cause}", url)
    return redact(f"{where}: {first_line(str(chain[-1]) or type(chain[-1]).__name__)}", url)


def first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), text.strip())
    return re.sub(r"\s*\(Background on this error at:.*", "", line)


def error_chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from or during, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
