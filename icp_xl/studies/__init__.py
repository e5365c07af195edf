"""Shared optimization studies: the storage several workers share (a journal file, SQLite or
PostgreSQL), opened with timeouts and retries, messages that never show a password, stale
trials of dead workers, and the configuration every worker of a study must match."""
