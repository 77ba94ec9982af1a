"""The route -> permission table: the one place that says who may call what.

``vru.web.security.authorize`` (installed on the whole application) looks every request's
matched route up here; a route missing from the table is refused, and a test fails when any
registered route is missing or any entry here has no route.
"""

from __future__ import annotations

from vru.privacy.roles import Permission as P

ROUTE_PERMISSIONS: dict[tuple[str, str], P] = {
    # public: sign-in and liveness
    ("GET", "/login"): P.PUBLIC,
    ("POST", "/login"): P.PUBLIC,
    ("GET", "/health"): P.PUBLIC,
    # any signed-in user
    ("POST", "/logout"): P.SIGNED_IN,
    ("GET", "/api/me"): P.SIGNED_IN,
    ("GET", "/api/openapi.json"): P.SIGNED_IN,
    ("GET", "/api/docs"): P.SIGNED_IN,
    # pages
    ("GET", "/"): P.AGGREGATES,
    ("GET", "/map"): P.AGGREGATES,
    ("GET", "/trends"): P.AGGREGATES,
    ("GET", "/profiles"): P.PROFILES_VIEW,
    ("POST", "/profiles"): P.PROFILES_MAKE,
    ("GET", "/profiles/{name}"): P.PROFILES_VIEW,
    ("GET", "/data-hub"): P.DATA_HUB,
    ("GET", "/data-hub/rejects"): P.REJECTS,
    ("GET", "/data-hub/linkage"): P.DATA_HUB,
    ("GET", "/programme"): P.AGGREGATES,
    ("GET", "/programme/interventions/{code}"): P.AGGREGATES,
    ("GET", "/funding"): P.AGGREGATES,
    # GPS tagging: records, narrowed in the handlers to police and probation under an
    # electronic-monitoring agreement (vru.privacy.em_access)
    ("GET", "/tags"): P.RECORDS,
    ("POST", "/tags/alerts/{alert_id}"): P.RECORDS,
    ("GET", "/tags/crime"): P.RECORDS,
    ("GET", "/tags/people/{person_pid}"): P.RECORDS,
    ("GET", "/tags/people/{person_pid}/trail"): P.RECORDS,
    ("GET", "/api/tags/trail/{person_pid}"): P.RECORDS,
    ("GET", "/api/tags/crime"): P.RECORDS,
    ("GET", "/referrals"): P.RECORDS,
    ("GET", "/referrals/new"): P.RECORDS,
    ("POST", "/referrals"): P.RECORDS,
    ("GET", "/referrals/{referral_id}"): P.RECORDS,
    ("POST", "/referrals/{referral_id}/move"): P.RECORDS,
    ("POST", "/referrals/{referral_id}/attendance"): P.RECORDS,
    ("GET", "/patrol"): P.PATROL,
    ("GET", "/patrol/{run_id}/{file}"): P.PATROL,
    ("GET", "/admin/users"): P.ADMIN,
    ("POST", "/admin/users"): P.ADMIN,
    ("POST", "/admin/users/{username}/active"): P.ADMIN,
    ("POST", "/admin/users/{username}/password"): P.ADMIN,
    ("GET", "/admin/audit"): P.ADMIN,
    # JSON API
    ("GET", "/api/meta"): P.AGGREGATES,
    ("GET", "/api/overview"): P.AGGREGATES,
    ("GET", "/api/trends"): P.AGGREGATES,
    ("GET", "/api/map/grid"): P.AGGREGATES,
    ("GET", "/api/map/lsoa"): P.AGGREGATES,
    ("GET", "/api/map/basemap"): P.AGGREGATES,
    ("GET", "/api/map/hotspots"): P.AGGREGATES,
    ("GET", "/api/map/points"): P.RECORDS,
    ("GET", "/api/data-hub/sources"): P.DATA_HUB,
    ("GET", "/api/data-hub/coverage"): P.DATA_HUB,
    ("GET", "/api/data-hub/agreements"): P.DATA_HUB,
    ("GET", "/api/data-hub/rejects"): P.REJECTS,
    ("GET", "/api/data-hub/linkage"): P.DATA_HUB,
    ("GET", "/api/profiles"): P.PROFILES_VIEW,
    ("POST", "/api/profiles"): P.PROFILES_MAKE,
    ("GET", "/api/profiles/{name}"): P.PROFILES_VIEW,
    ("GET", "/api/patrol-plans"): P.PATROL,
    ("GET", "/api/patrol-plans/{run_id}"): P.PATROL,
    ("GET", "/api/admin/users"): P.ADMIN,
    ("POST", "/api/admin/users"): P.ADMIN,
    ("POST", "/api/admin/users/{username}/active"): P.ADMIN,
    ("GET", "/api/audit"): P.ADMIN,
    ("GET", "/api/audit/verify"): P.ADMIN,
    # uploads and background jobs (a user sees their own jobs; admins and analysts all)
    ("GET", "/data-hub/upload"): P.UPLOAD,
    ("POST", "/data-hub/upload"): P.UPLOAD,
    ("GET", "/data-hub/jobs/{job_id}"): P.SIGNED_IN,
    ("GET", "/data-hub/jobs/{job_id}/rejects"): P.SIGNED_IN,
    ("GET", "/api/jobs/{job_id}"): P.SIGNED_IN,
    # the local channel `vru` commands use to hand work to this server (token, loopback)
    ("POST", "/local/jobs"): P.LOCAL,
    ("GET", "/local/jobs/{job_id}/events"): P.LOCAL,
}
