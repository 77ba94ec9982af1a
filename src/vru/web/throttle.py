"""Login throttling: too many failed sign-ins for a user name or from an address locks it out.

A sliding window held in memory (one server process; a restart clears it, which is acceptable
for a brute-force brake). Written here rather than pulled from a rate-limiting library because
the rule is about *failed* attempts per user name and per client, which generic request
limiters do not count.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginThrottle:
    def __init__(self, max_failures: int = 5, window_s: float = 900.0,
                 lockout_s: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return [f"user:{username.strip().lower()}", f"client:{client}"]

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until sign-in may be tried again (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self._locked_until.get(k, 0) - now for k in self._keys(username, client)]
        return max(0.0, *waits)

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in self._keys(username, client):
                q = self._fails[k]
                q.append(now)
                while q and q[0] < now - self.window_s:
                    q.popleft()
                # a client address gets more room than one user name (shared NAT in offices)
                limit = self.max_failures * (4 if k.startswith("client:") else 1)
                if len(q) >= limit:
                    self._locked_until[k] = now + self.lockout_s
                    q.clear()

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            key = self._keys(username, client)[0]
            self._fails.pop(key, None)
