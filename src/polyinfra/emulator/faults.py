"""Fault injection: the queue of scripted faults, tried in the order they were added, and what
the fault a request takes does to it before it is carried out (hold it back, leave it hanging,
answer with a body that never ends, drop the connection, or answer with Google's error)."""

from __future__ import annotations

import copy
import threading

from polyinfra.emulator.script import Fault
from polyinfra.emulator.wire import _ApiError, _default_message, _Drop, _Endless, _Hang


class Faults:
    """The scripted faults not yet used up."""

    def __init__(self, lock: threading.RLock, stopping: threading.Event) -> None:
        self._lock = lock
        self._stopping = stopping
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` after the ones already queued."""
        with self._lock:
            self._queue.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """A copy of the first fault that matches the request, used once."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._queue.remove(fault)
                    return copy.copy(fault)
        return None

    def intercept(self, method: str, path: str) -> Fault | None:
        """Act on the fault the request takes, before the request is carried out.

        Raises ``_Drop`` (also when the emulator stops during a delay), ``_Hang``, ``_Endless``
        or the fault's ``_ApiError``. Returns the fault when the request is to be carried out
        and its answer then lost, None when it is to be carried out and answered as usual.
        """
        fault = self.take(method, path)
        if fault is not None and fault.delay:
            if self._stopping.wait(fault.delay):
                raise _Drop
            if fault.status == 200:
                fault = None  # only a delay: carry the request out as usual
        if fault is not None and fault.hang:
            raise _Hang
        if fault is not None and fault.endless:
            raise _Endless
        if fault is not None and not fault.apply_first:
            if fault.status == 0:
                raise _Drop
            raise _ApiError(
                fault.status,
                fault.message or _default_message(fault.status),
                status_name=fault.status_name,
                details=copy.deepcopy(fault.details),
                headers={"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else None,
            )
        return fault
