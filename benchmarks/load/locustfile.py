"""A realistic mix of the people who use the service at once, for ``benchmarks/load/run.sh``.

Why this mix: most traffic on a court's mediation platform is parties looking at their
own cases; some file new ones with a photo or a PDF; mediators work their queues,
organization admins review intake and court staff review the confirmation queue. The
weights below follow that shape. API users log in once through ``POST /api/v1/auth/token``
(as the mobile and integration clients do), page users through the ``/login`` form (as a
browser does, CSRF token included), so both authentication paths carry load.

The accounts are the demo data of ``flask odr seed-demo --scale county`` (``zjparty00000``…,
mediators ``zj000001``…) and the base demo staff; every password is the demo password.
Target: 127.0.0.1 only (``--host`` is set by run.sh).
"""

from __future__ import annotations

import os
import random
import re
from typing import Any

from locust import HttpUser, between, task

PASSWORD = os.environ.get("ODR_LOAD_PASSWORD", "demo-password-1")
PARTIES = int(os.environ.get("ODR_LOAD_PARTIES", "400"))
MEDIATORS = int(os.environ.get("ODR_LOAD_MEDIATORS", "600"))
#: a small but real PDF: parties attach scans and photos of a few dozen kilobytes
SMALL_PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 600 + b"%%EOF\n"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CATEGORIES = ("neighbour", "family", "contract", "property", "labour")


def _api_login(user: HttpUser, username: str) -> bool:
    """Get a bearer token; a failed login is reported by locust and the user idles."""
    with user.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                          name="POST /api/v1/auth/token", catch_response=True) as resp:
        if resp.status_code != 200:
            resp.failure(f"login {username}: {resp.status_code}")
            return False
        user.client.headers["Authorization"] = f"Bearer {resp.json()['token']}"
    return True


def _page_login(user: HttpUser, username: str) -> bool:
    """Log in through the form, like a browser: fetch the page for its CSRF token, post it."""
    page = user.client.get("/login", name="GET /login")
    match = CSRF.search(page.text or "")
    if not match:
        return False
    with user.client.post("/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": match.group(1)},
                          name="POST /login", allow_redirects=False, catch_response=True) as resp:
        if resp.status_code not in (302, 303):
            resp.failure(f"form login {username}: {resp.status_code}")
            return False
    return True


def _case_ids(user: HttpUser, name: str, query: str = "") -> list[int]:
    resp = user.client.get(f"/api/v1/cases{query}", name=name)
    if resp.status_code != 200:
        return []
    return [c["id"] for c in resp.json().get("items", [])]


class PartyApi(HttpUser):
    """A party on the mobile app: looks at their cases, reads notices, now and then files
    a new case with one small evidence file and submits it (which feeds the intake queue)."""

    weight = 6
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = f"zjparty{random.randrange(PARTIES):05d}"
        self.ready = _api_login(self, self.username)
        self.cases = _case_ids(self, "GET /api/v1/cases") if self.ready else []
        self.organization_id: int | None = None
        if self.ready and self.cases:
            detail = self.client.get(f"/api/v1/cases/{self.cases[0]}", name="GET /api/v1/cases/{id}")
            if detail.status_code == 200:
                self.organization_id = detail.json().get("organization_id")

    @task(4)
    def my_cases(self) -> None:
        if self.ready:
            self.cases = _case_ids(self, "GET /api/v1/cases") or self.cases

    @task(4)
    def one_case(self) -> None:
        if self.ready and self.cases:
            cid = random.choice(self.cases)
            self.client.get(f"/api/v1/cases/{cid}", name="GET /api/v1/cases/{id}")
            self.client.get(f"/api/v1/cases/{cid}/evidence", name="GET /api/v1/cases/{id}/evidence")

    @task(2)
    def inbox(self) -> None:
        if self.ready:
            self.client.get("/api/v1/notifications", name="GET /api/v1/notifications")

    @task(1)
    def file_with_evidence(self) -> None:
        if not self.ready:
            return
        body: dict[str, Any] = {
            "category": random.choice(CATEGORIES),
            "facts": "邻居在两家之间的通道上堆放杂物，多次协商未果，影响通行。",
            "claims": [{"description": "清除通道上的杂物", "amount": None}],
            "respondents": [{"kind": "person", "name": "李四", "phone": "13900001234"}],
        }
        if self.organization_id:
            body["organization_id"] = self.organization_id
        resp = self.client.post("/api/v1/cases", json=body, name="POST /api/v1/cases")
        if resp.status_code != 201:
            return
        cid = resp.json()["id"]
        self.client.post(f"/api/v1/cases/{cid}/evidence", name="POST /api/v1/cases/{id}/evidence",
                         files={"file": ("合同.pdf", SMALL_PDF, "application/pdf")}, data={"title": "合同"})
        self.client.post(f"/api/v1/cases/{cid}/submit", name="POST /api/v1/cases/{id}/submit")
        self.cases.append(cid)


class PartyWeb(HttpUser):
    """A party in the browser: the case list, a case page, the inbox, the mediator directory."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.ready = _page_login(self, f"zjparty{random.randrange(PARTIES):05d}")
        self.cases = _case_ids(self, "GET /api/v1/cases (page user)") if self.ready else []

    @task(3)
    def case_list(self) -> None:
        if self.ready:
            self.client.get("/cases", name="GET /cases")

    @task(3)
    def case_page(self) -> None:
        if self.ready and self.cases:
            self.client.get(f"/cases/{random.choice(self.cases)}", name="GET /cases/{id}")

    @task(1)
    def inbox(self) -> None:
        if self.ready:
            self.client.get("/inbox", name="GET /inbox")

    @task(1)
    def directory(self) -> None:
        self.client.get(f"/mediators?category={random.choice(CATEGORIES)}", name="GET /mediators?category=")


class MediatorWeb(HttpUser):
    """A mediator working their queue: the case list, case pages, the case's events by API."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.ready = _page_login(self, f"zj{random.randrange(1, MEDIATORS + 1):06d}")
        self.cases = _case_ids(self, "GET /api/v1/cases (page user)") if self.ready else []

    @task(3)
    def queue(self) -> None:
        if self.ready:
            self.client.get("/cases", name="GET /cases")

    @task(3)
    def case_page(self) -> None:
        if self.ready and self.cases:
            self.client.get(f"/cases/{random.choice(self.cases)}", name="GET /cases/{id}")

    @task(1)
    def in_mediation(self) -> None:
        if self.ready:
            self.client.get("/api/v1/cases?status=in_mediation", name="GET /api/v1/cases?status=")


class OrgAdminWeb(HttpUser):
    """The county organization's admin reviewing intake (受理/不予受理) and reading new cases."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.ready = _page_login(self, random.choice(("demo_orgadmin", "demo_townadmin")))

    @task(3)
    def intake(self) -> None:
        if self.ready:
            self.client.get("/intake", name="GET /intake")

    @task(2)
    def submitted(self) -> None:
        if not self.ready:
            return
        ids = _case_ids(self, "GET /api/v1/cases?status=", "?status=submitted")
        if ids:
            self.client.get(f"/cases/{random.choice(ids)}", name="GET /cases/{id}")


class CourtWeb(HttpUser):
    """Court staff reviewing the judicial-confirmation queue."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.ready = _page_login(self, random.choice(("demo_judge", "demo_clerk")))

    @task(3)
    def queue_page(self) -> None:
        if self.ready:
            self.client.get("/court/confirmations", name="GET /court/confirmations")

    @task(2)
    def queue_api(self) -> None:
        if self.ready:
            self.client.get("/api/v1/confirmations", name="GET /api/v1/confirmations")
