"""A bounded executor for engine work, separate from bolt's listener pool.

``submit`` never blocks: when ``workers + queue_size`` jobs are already in flight it returns
``None`` and the caller tells the user the bot is busy. Bolt's own 5-thread listener pool stays
free for acks, dedup and the quick Web API calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class BoundedExecutor:
    def __init__(self, workers: int, queue_size: int, name: str = "kb-engine") -> None:
        self.capacity = workers + queue_size
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T] | None:
        if not self._slots.acquire(blocking=False):
            log.warning("engine queue full (%d jobs in flight); rejecting work", self.capacity)
            return None
        try:
            fut = self._pool.submit(fn, *args, **kwargs)
        except RuntimeError:  # shut down
            self._slots.release()
            return None
        fut.add_done_callback(lambda _f: self._slots.release())
        return fut

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
