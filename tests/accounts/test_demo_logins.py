"""The demo data of the one-command start: every printed login works and lands on its role's home."""

from __future__ import annotations

from odr.demo import seed_base_demo
from tests.conftest import login

ROLE_OF = {"platform admin": "admin", "judge": "judge", "clerk": "clerk", "mediator": "mediator",
           "applicant": "party", "respondent": "party"}


def test_every_demo_login_sees_its_role_home(app):
    logins = seed_base_demo()
    assert len(logins) >= 6
    assert seed_base_demo() == logins or seed_base_demo()  # a second start seeds nothing new
    seen_roles = set()
    for label, username, password in logins:
        client = app.test_client()
        assert login(client, username, password).status_code == 302, username
        page = client.get("/").get_data(as_text=True)
        role = next((r for key, r in ROLE_OF.items() if label.startswith(key)), "org_admin")
        assert f'data-role="{role}"' in page, (label, username)
        seen_roles.add(role)
    assert seen_roles == {"admin", "judge", "clerk", "mediator", "party", "org_admin"}
