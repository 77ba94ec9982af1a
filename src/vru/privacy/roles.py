"""Roles and the permissions each one holds.

Four roles (the issue's access model):

- ``admin``   - everything, including user management and the audit log.
- ``analyst`` - all data, record level and exact counts; generates profiles; no user admin.
- ``partner`` - a partner agency's staff: aggregates (disclosure-controlled) plus record-level
  rows of their *own* agency only (``users.agency`` matched against the record's agency).
- ``viewer``  - aggregates only, disclosure-controlled (board members, the public-facing view).

Permissions are coarse capabilities; the web app maps every route to exactly one of them
(``vru.web.permissions.ROUTE_PERMISSIONS``) and checks it in one place.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    PARTNER = "partner"
    VIEWER = "viewer"


class Permission(StrEnum):
    PUBLIC = "public"                  # no sign-in needed (login page, health, static assets)
    SIGNED_IN = "signed_in"            # any signed-in user (logout, own account)
    AGGREGATES = "aggregates"          # counts and rates; disclosure control for non-privileged
    RECORDS = "records"                # record-level rows; partners see their own agency's only
    DATA_HUB = "data_hub"              # sources, coverage, data-sharing agreements
    REJECTS = "rejects"                # rejected rows as read (may hold raw partner data)
    PROFILES_VIEW = "profiles_view"    # list and download generated profiles
    PROFILES_MAKE = "profiles_make"    # generate a profile
    PATROL = "patrol"                  # patrol plans (operational, hot-spot locations)
    ADMIN = "admin"                    # users, audit log
    UPLOAD = "upload"                  # upload partner files (partners: own agency's sources)
    LINKAGE = "linkage"                # person-level record linkage (runs, links, explanations)
    LOCAL = "local"                    # the server's own account over loopback (the token in
    #                                    server.json), not a browser session: handed-over jobs


ROLES: tuple[str, ...] = tuple(r.value for r in Role)

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.LOCAL},
    Role.ANALYST: frozenset(Permission) - {Permission.ADMIN, Permission.LOCAL},
    Role.PARTNER: frozenset({
        Permission.PUBLIC, Permission.SIGNED_IN, Permission.AGGREGATES, Permission.RECORDS,
        Permission.DATA_HUB, Permission.PROFILES_VIEW, Permission.PATROL, Permission.UPLOAD,
    }),
    Role.VIEWER: frozenset({
        Permission.PUBLIC, Permission.SIGNED_IN, Permission.AGGREGATES, Permission.PROFILES_VIEW,
    }),
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {value!r}; choose one of: {', '.join(ROLES)}") from None


def allows(role: Role | str, permission: Permission) -> bool:
    return permission in GRANTS[Role(role)]


def privileged(role: Role | str) -> bool:
    """Privileged roles see exact counts; everyone else gets the workspace's disclosure rule."""
    return Role(role) in (Role.ADMIN, Role.ANALYST)


def record_scope(role: Role | str) -> str:
    """Which record-level rows a role may see: 'all', 'own_agency' or 'none'."""
    r = Role(role)
    if r in (Role.ADMIN, Role.ANALYST):
        return "all"
    if r is Role.PARTNER:
        return "own_agency"
    return "none"
