"""Local user accounts: Argon2id-hashed passwords, roles, agencies, enable/disable.

Stored in the workspace (tables ``web_users``/``web_sessions``, migration m0400). The workspace
is the only door to DuckDB, so every function here takes a Workspace.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vru.errors import VruError
from vru.privacy.roles import Role, parse_role
from vru.workspace import Workspace

MIN_PASSWORD_LENGTH = 12
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,62}$")

# argon2-cffi's defaults are the RFC 9106 "low memory" profile (Argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a missing user costs as long as a wrong
    password (no user-name probing by timing). Made on first use: hashing costs ~0.3 s, which
    every CLI command would otherwise pay at start-up."""
    return _hasher.hash("not-a-real-password-0000")


class UserError(VruError, ValueError):
    """A user-management request that cannot be done (unknown user, weak password...)."""


class LastAdminError(UserError):
    """The change would leave the workspace with no active admin."""


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: Role
    agency: str | None
    full_name: str | None
    active: bool
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "user_id": self.user_id, "username": self.username, "role": self.role.value,
            "agency": self.agency, "full_name": self.full_name, "active": self.active,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


_COLS = "user_id, username, role, agency, full_name, active, created_at, last_login_at"


def _row_to_user(row: tuple) -> User:
    return User(row[0], row[1], Role(row[2]), row[3], row[4], bool(row[5]), row[6], row[7])


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise UserError("password must not start or end with spaces")


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise UserError(
            f"invalid user name {username!r}: 2-63 characters, lower-case letters, digits, . _ @ -"
        )
    return name


def add_user(ws: Workspace, username: str, password: str, role: str | Role,
             agency: str | None = None, full_name: str | None = None) -> User:
    name = normalise_username(username)
    try:
        r = parse_role(str(role))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    agency = _checked_agency(ws, r, agency)
    check_password_strength(password)
    pw_hash = _hasher.hash(password)
    now = datetime.now()
    with ws.transaction() as con:
        if con.execute("SELECT 1 FROM web_users WHERE username = ?", [name]).fetchone():
            raise UserError(f"user {name!r} already exists")
        uid = con.execute("SELECT nextval('web_user_seq')").fetchone()[0]
        con.execute(
            "INSERT INTO web_users VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, ?, NULL)",
            [uid, name, full_name, r.value, agency.strip() if agency else None, pw_hash, now, now],
        )
    return get_user(ws, name)


def get_user(ws: Workspace, username: str) -> User:
    name = username.strip().lower()
    sql = f"SELECT {_COLS} FROM web_users WHERE username = ?"
    row = ws.reader().execute(sql, [name]).fetchone()
    if row is None:
        raise UserError(f"no such user: {username!r}")
    return _row_to_user(row)


def get_user_by_id(ws: Workspace, user_id: int) -> User | None:
    sql = f"SELECT {_COLS} FROM web_users WHERE user_id = ?"
    row = ws.reader().execute(sql, [user_id]).fetchone()
    return _row_to_user(row) if row else None


def list_users(ws: Workspace) -> list[User]:
    rows = ws.reader().execute(f"SELECT {_COLS} FROM web_users ORDER BY username").fetchall()
    return [_row_to_user(r) for r in rows]


# Where the workspace names agencies, least authoritative spelling first: a name on the records
# (which a partner's record scope is compared with) wins over an agreement's spelling of it.
AGENCY_SOURCES = (("sharing_agreements", "owning_agency"),
                  ("prog_providers", "name"),       # programme providers' staff are partners
                  ("crimes", "reported_by"))


def _agencies(ws: Workspace) -> dict[str, str]:
    """lower-case name -> the spelling the workspace uses."""
    names: dict[str, str] = {}
    for table, col in AGENCY_SOURCES:
        if ws.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                     [table]):
            for (v,) in ws.sql(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL "
                               "ORDER BY 1"):
                if v.strip():
                    names[v.strip().lower()] = v.strip()
    return names


def known_agencies(ws: Workspace) -> list[str]:
    """The agencies this workspace knows: owning agencies of its data-sharing agreements,
    programme providers, and the agencies named on its records (a crime's recording force)."""
    return sorted(_agencies(ws).values(), key=str.lower)


def _checked_agency(ws: Workspace, role: Role, agency: str | None) -> str | None:
    """A partner's agency, spelt as the workspace knows it; other roles keep what was given."""
    agency = agency.strip() if agency and agency.strip() else None
    if role is not Role.PARTNER:
        return agency
    if agency is None:
        raise UserError("a partner user needs --agency (the agency whose records they may see)")
    known = _agencies(ws)
    if agency.lower() not in known:
        listed = ", ".join(known.values()) or "none yet"
        raise UserError(
            f"unknown agency {agency!r}: a partner's agency must be one this workspace knows from "
            f"its data-sharing agreements or records (known: {listed}); register the agency's "
            "agreement first with `vru agreements add`")
    return known[agency.lower()]


def _keep_an_admin(con, user: User) -> None:
    """Refuse a change that would leave no active admin (inside the changing transaction)."""
    if user.role is not Role.ADMIN or not user.active:
        return
    others = con.execute("SELECT count(*) FROM web_users WHERE role = 'admin' AND active "
                         "AND user_id <> ?", [user.user_id]).fetchone()[0]
    if not others:
        raise LastAdminError(
            f"{user.username} is the last active admin: add or enable another admin first, so "
            "the workspace keeps someone who can manage users")


def set_role(ws: Workspace, username: str, role: str | Role, agency: str | None = None) -> User:
    """Change a user's role (and agency); the last active admin cannot be demoted."""
    user = get_user(ws, username)
    try:
        r = parse_role(str(role.value if isinstance(role, Role) else role))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    agency = _checked_agency(ws, r, agency if agency is not None else user.agency)
    with ws.transaction() as con:
        if r is not Role.ADMIN:
            _keep_an_admin(con, user)
        con.execute("UPDATE web_users SET role = ?, agency = ?, updated_at = ? WHERE user_id = ?",
                    [r.value, agency, datetime.now(), user.user_id])
        # New rights take effect at the next sign-in: end the user's sessions.
        con.execute("UPDATE web_sessions SET revoked = TRUE WHERE user_id = ?", [user.user_id])
    return get_user(ws, username)


def set_active(ws: Workspace, username: str, active: bool) -> User:
    user = get_user(ws, username)
    with ws.transaction() as con:
        if not active:
            _keep_an_admin(con, user)
        con.execute("UPDATE web_users SET active = ?, updated_at = ? WHERE user_id = ?",
                    [active, datetime.now(), user.user_id])
        if not active:  # a disabled user is signed out everywhere, at once
            con.execute("UPDATE web_sessions SET revoked = TRUE WHERE user_id = ?", [user.user_id])
    return get_user(ws, username)


def reset_password(ws: Workspace, username: str, password: str) -> User:
    user = get_user(ws, username)
    check_password_strength(password)
    pw_hash = _hasher.hash(password)
    with ws.transaction() as con:
        con.execute("UPDATE web_users SET password_hash = ?, updated_at = ? WHERE user_id = ?",
                    [pw_hash, datetime.now(), user.user_id])
        con.execute("UPDATE web_sessions SET revoked = TRUE WHERE user_id = ?", [user.user_id])
    return user


def authenticate(ws: Workspace, username: str, password: str) -> User | None:
    """The user if the name/password pair is right and the account is active, else None."""
    name = username.strip().lower()
    row = ws.reader().execute(
        f"SELECT {_COLS}, password_hash FROM web_users WHERE username = ?", [name]
    ).fetchone()
    stored = row[-1] if row else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    user = _row_to_user(row[:-1])
    if not user.active:
        return None
    with ws.transaction() as con:
        values: list = [datetime.now()]
        sql = "UPDATE web_users SET last_login_at = ?"
        if _hasher.check_needs_rehash(stored):
            sql += ", password_hash = ?"
            values.append(_hasher.hash(password))
        con.execute(sql + " WHERE user_id = ?", [*values, user.user_id])
    return user
