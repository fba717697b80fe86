from tests.agreements.helpers import effective_agreement, mediation_case

def test_flow(app, client, world):
    case = mediation_case(world)
    out = effective_agreement(client, world, case)
    print(out)
    assert out["status"] == "effective"
    docs = client.get(f"/api/v1/cases/{case.id}/documents", headers=__import__("tests.conftest", fromlist=["x"]).api_token(client, "applicant")).get_json()
    print(docs)
