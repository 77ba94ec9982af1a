"""Local accounts: Argon2 hashes, roles, disable/reset, authentication."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from vru.privacy import users
from vru.privacy.roles import Permission, Role, allows, privileged, record_scope

PW = "correct horse battery"


def test_add_authenticate_disable_reset(workspace):
    u = users.add_user(workspace, "Ana.Lyst", PW, "analyst", full_name="Ana")
    assert u.username == "ana.lyst" and u.role is Role.ANALYST and u.active
    stored = workspace.scalar("SELECT password_hash FROM web_users WHERE username='ana.lyst'")
    assert stored.startswith("$argon2id$") and PW not in stored
    assert PasswordHasher().verify(stored, PW)  # a real Argon2 hash, checked by the library
    assert users.authenticate(workspace, "ana.lyst", PW).user_id == u.user_id
    assert users.authenticate(workspace, "ana.lyst", PW + "x") is None
    assert users.authenticate(workspace, "nobody", PW) is None
    users.set_active(workspace, "ana.lyst", False)
    assert users.authenticate(workspace, "ana.lyst", PW) is None
    users.set_active(workspace, "ana.lyst", True)
    users.reset_password(workspace, "ana.lyst", "another long password")
    assert users.authenticate(workspace, "ana.lyst", PW) is None
    assert users.authenticate(workspace, "ana.lyst", "another long password") is not None


def test_bad_requests_are_refused(workspace):
    users.add_user(workspace, "admin", PW, "admin")
    with pytest.raises(users.UserError, match="already exists"):
        users.add_user(workspace, "ADMIN", PW, "admin")
    with pytest.raises(users.UserError, match="too short"):
        users.add_user(workspace, "bob", "short", "viewer")
    with pytest.raises(users.UserError, match="unknown role"):
        users.add_user(workspace, "bob", PW, "superuser")
    with pytest.raises(users.UserError, match="needs --agency"):
        users.add_user(workspace, "bob", PW, "partner")
    with pytest.raises(users.UserError, match="no such user"):
        users.set_active(workspace, "ghost", False)


def test_role_model():
    assert all(allows(Role.ADMIN, p) for p in Permission if p is not Permission.LOCAL)
    assert not any(allows(r, Permission.LOCAL) for r in Role)  # a token, never a role
    assert allows(Role.PARTNER, Permission.UPLOAD) and not allows(Role.VIEWER, Permission.UPLOAD)
    assert not allows(Role.ANALYST, Permission.ADMIN)
    assert allows(Role.PARTNER, Permission.RECORDS) and not allows(Role.PARTNER, Permission.REJECTS)
    assert not allows(Role.VIEWER, Permission.RECORDS)
    assert privileged("analyst") and not privileged("partner") and not privileged("viewer")
    assert [record_scope(r) for r in Role] == ["all", "all", "own_agency", "none"]
