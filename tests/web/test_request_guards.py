"""Input every request survives: deeply nested JSON, oversized API bodies."""

from __future__ import annotations

from datetime import date


def test_deeply_nested_json_gets_the_api_400(client):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/aftercare-plan", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["errors"] == [
        {"field": "body", "problem": "must be a JSON object"}
    ]


def test_an_api_body_over_the_cap_gets_a_json_413(client, runner, app):
    assert runner.invoke(args=["seed"]).exit_code == 0
    good = {"treatment": "ipl", "treated_on": date.today().isoformat(), "fitzpatrick": 2}
    assert client.post("/api/v1/aftercare-plan", json=good).status_code == 200
    padded = {**good, "padding": "x" * app.config["API_MAX_CONTENT_LENGTH"]}
    response = client.post("/api/v1/aftercare-plan", json=padded)
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413
