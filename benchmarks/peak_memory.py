"""The peak resident memory of the running process itself.

``getrusage``'s ``ru_maxrss`` is not that: Linux carries a process's peak across fork and
exec, so a job started from a large process (multiprocessing's spawn, ``subprocess``)
reports at least the memory its starter held when it started it: the benchmark that built
a 100,000-account workbook before spawning each job. ``VmHWM`` in ``/proc/self/status`` is
the high-water mark of the process's own address space, which exec starts afresh."""

from __future__ import annotations

import resource


def own_peak_mb() -> float:
    """This process's peak resident memory in MB (2**20 bytes): VmHWM where Linux gives
    it, else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
