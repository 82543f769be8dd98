"""The exit flush where ``atexit`` does not reach: the end of a ``multiprocessing`` child.

A child started with the "fork" or "forkserver" method ends with ``os._exit()`` once its target
returns, so its ``atexit`` hooks never run and its queued events would vanish without a report.
Before that, ``multiprocessing`` runs the finalizers registered with an exit priority
(``multiprocessing.util.Finalize``); the exit hook is registered as one in every child that has a
client: after the fork for clients inherited from the parent (``register_after_fork``, which
runs once the child's finalizer registry has been reset), and when a client is made in a child.
A "spawn" child exits through ``sys.exit()``, where ``atexit`` runs too; the hook is idempotent.
"""

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing import util
from typing import Final

#: Finalizers with a higher priority run first; multiprocessing's own queues use 10 and -5.
EXIT_PRIORITY: Final = 20

_registered_in_pid: int | None = None


def at_child_exit(hook: Callable[[], None]) -> None:
    """Run ``hook`` when this process ends, if it is a multiprocessing child (once per process)."""
    global _registered_in_pid
    if multiprocessing.parent_process() is None or _registered_in_pid == os.getpid():
        return
    _registered_in_pid = os.getpid()
    util.Finalize(None, hook, exitpriority=EXIT_PRIORITY)


def install(hook: Callable[[], None]) -> None:
    """Register ``hook`` in every multiprocessing child forked from this process from now on."""
    util.register_after_fork(hook, at_child_exit)
