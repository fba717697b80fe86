from tests.conftest import api_token, login


def test_world_builds_and_roles_log_in(client, world):
    for user in (world.admin, world.judge, world.clerk, world.org_admin, world.mediators[0], world.applicant):
        c = client.application.test_client()
        resp = login(c, user.username)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        home = c.get("/")
        assert home.status_code == 200
        assert f'data-role="{user.role}"' in home.get_data(as_text=True)


def test_api_me(client, world):
    headers = api_token(client, "applicant")
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.get_json()["roles"] == ["party"]
