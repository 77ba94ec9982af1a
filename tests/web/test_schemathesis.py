"""Property-based API testing from the OpenAPI description: no request, however odd, gets a 5xx.

Signed in as an admin (who may call every operation), with the CSRF header, on a small real
workspace of its own (the admin operations create users there).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.web.conftest import PASSWORD, fill_crimes, login
from vru.privacy import users
from vru.testing import new_workspace
from vru.web.app import create_app


@pytest.fixture(scope="module")
def signed_in_schema(tmp_path_factory):
    from fastapi.testclient import TestClient

    ws = new_workspace(tmp_path_factory.mktemp("st") / "ws", area_name="Schemathesis")
    fill_crimes(ws, n=600)
    users.add_user(ws, "st.admin", PASSWORD, "admin")
    app = create_app(ws, audit_durable=False)
    client = TestClient(app)
    assert login(client, "st.admin").status_code == 303
    me = client.get("/api/me").json()
    auth = {"cookies": {"vru_session": client.cookies.get("vru_session")},
            "headers": {"X-CSRF-Token": me["csrf_token"]}}
    schema_doc = client.get("/api/openapi.json").json()
    assert schema_doc["paths"], "the OpenAPI description lists no operations"
    loaded = schemathesis.openapi.from_dict(schema_doc)
    loaded.app = app
    loaded.auth_for_tests = auth
    yield loaded
    client.close()
    ws.close()


def test_api_has_no_server_errors(signed_in_schema):
    # Driven through Hypothesis directly: schemathesis' pytest plugin does not run under pytest 9.
    auth = signed_in_schema.auth_for_tests
    seen = []
    for result in signed_in_schema.get_all_operations():
        op = result.ok()

        @given(case=op.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case):
            case.call_and_validate(headers=auth["headers"], cookies=auth["cookies"],
                                   checks=[not_a_server_error])

        check()
        seen.append(op.label)
    assert len(seen) >= 20, seen


def test_openapi_describes_the_api(signed_in_schema):
    paths = set(signed_in_schema.raw_schema["paths"])
    for p in ("/api/overview", "/api/trends", "/api/map/grid", "/api/map/points",
              "/api/map/hotspots", "/api/data-hub/coverage", "/api/profiles", "/api/audit"):
        assert p in paths
