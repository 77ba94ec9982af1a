"""Server-side browser sessions: random cookie token, SHA-256 of it stored in the workspace.

Looking a session up is one indexed query; results are cached for a few seconds so a page with
several API calls does not hit the database each time. Revocation (logout, user disabled,
password reset) clears the cache.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from vru.privacy.users import User, get_user_by_id
from vru.workspace import Workspace

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, ws: Workspace, ttl: timedelta) -> None:
        self.ws = ws
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Session | None]] = {}
        self._lock = threading.Lock()

    def create(self, user: User) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = datetime.now()
        expires = now + self.ttl
        with self.ws.transaction() as con:
            con.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, FALSE)",
                        [_digest(token), user.user_id, csrf, now, expires])
        return token, Session(user, csrf, expires)

    def get(self, token: str | None) -> Session | None:
        if not token or len(token) > 200:
            return None
        key = _digest(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > now:
            sess = hit[1]
            return sess if sess is None or sess.expires_at > datetime.now() else None
        row = self.ws.reader().execute(
            "SELECT s.user_id, s.csrf_token, s.expires_at FROM web_sessions s "
            "JOIN web_users u USING (user_id) "
            "WHERE s.token_hash = ? AND NOT s.revoked AND u.active AND s.expires_at > ?",
            [key, datetime.now()],
        ).fetchone()
        sess = None
        if row:
            user = get_user_by_id(self.ws, row[0])
            if user is not None and user.active:
                sess = Session(user, row[1], row[2])
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + CACHE_SECONDS, sess)
        return sess

    def revoke(self, token: str) -> None:
        key = _digest(token)
        with self.ws.transaction() as con:
            con.execute("UPDATE web_sessions SET revoked = TRUE WHERE token_hash = ?", [key])
        self.forget_all()

    def forget_all(self) -> None:
        """Drop cached lookups (after a user is disabled or a password reset)."""
        with self._lock:
            self._cache.clear()
