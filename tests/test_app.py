"""The API's contract: health, the OpenAPI document, and problem+json for every kind of error (RFC 9457)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ggzy.core.errors import PROBLEM_CONTENT_TYPE


def test_health_reports_the_database(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


def test_docs_and_openapi_are_served_without_a_cdn(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert "/docs" in client.get("/").text  # the portal takes "/" and links to the docs
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "Problem" in schema["components"]["schemas"]


def test_every_operation_that_can_refuse_declares_its_problems(app: FastAPI) -> None:
    """Every operation declares 422; a guarded one 401 and 403; one whose path names something 404; one that reads a
    body 400 (unreadable) and 413 (too large). The API answers problems as problem+json, a page as an HTML page."""
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            roles = set(operation["x-roles"])
            assert "422" in responses, (method, path)
            if "visitor" not in roles:
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(responses), (method, path)
            if not path.startswith("/api/") and method == "post" and "201" not in responses:
                assert "303" in responses, (method, path)  # a page's form that is done sends the browser on
            media_type = PROBLEM_CONTENT_TYPE if path.startswith("/api/") else "text/html"
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert set(response["content"]) == {media_type}, (method, path, status)


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "not_found"


def test_validation_error_names_the_field_in_both_languages(client: TestClient) -> None:
    response = client.post("/api/v1/auth/password-login", json={"username": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["field"] == "password"
    assert problem["errors"][0]["message_zh"] == "必填"
    assert "password" in problem["message_en"]
    assert "password" in problem["message_zh"]


def test_malformed_json_is_a_clear_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/password-login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_an_auctions_path_is_matched_by_its_own_route_only_and_first(app: FastAPI) -> None:
    """The auctions API is matched before every other router (a rush's bids: bench/auction.py); that is safe only
    while no other route matches any of its paths, which this proves for every auctions operation."""
    from starlette.routing import Match

    from ggzy.auctions.api import router as auctions_router

    top = app.router.routes
    operations = [(route.path, method) for route in auctions_router.routes for method in route.methods]  # type: ignore[attr-defined]
    assert len(operations) > 10
    for path, method in operations:
        concrete = re.sub(r"\{[^}]+\}", "7", f"/api/v1{path}")
        scope = {"type": "http", "method": method, "path": concrete, "root_path": "", "headers": []}
        full = [index for index, route in enumerate(top) if route.matches(scope)[0] == Match.FULL]
        assert len(full) == 1, (method, concrete)
        before = [getattr(getattr(route, "endpoint", None), "__module__", "?") for route in top[: full[0]]]
        # only the app's own few routes (the OpenAPI document, health, the docs and their files) come before it
        assert set(before) <= {"fastapi.applications", "ggzy.app", "?"}, (method, concrete, before)  # ?: docs files


def test_the_server_factory_freezes_the_built_app_out_of_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ggzy serve`` builds the app through ``serve_app``: its heap is frozen, so that a full collection walks only
    what serving made since (bench/auction.py: 150–290 ms pauses of a 1,000-watcher hall without it)."""
    import gc

    from ggzy.app import serve_app
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GGZY_DATABASE_URL", f"sqlite:///{tmp_path / 'ggzy.db'}")
    get_settings.cache_clear()
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        assert serve_app().routes
        assert gc.get_freeze_count() > 10_000  # the app and every module it imported
    finally:
        gc.unfreeze()
        get_settings.cache_clear()
