"""Every public page answers every role alike (the authorization matrix checks the refusals; this, the pages)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.permissions import Role
from tests.factories import make_published_tender, token_for, user_with_role

MARKET = {Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_public_page_renders_for_every_role(client: TestClient, db: Session, role: Role) -> None:
    tender, setup = make_published_tender(db)
    headers = {} if role == Role.VISITOR else token_for(db, user_with_role(db, role, entity=role in MARKET))
    db.commit()
    for url in ("/", "/notices", f"/projects/{setup['project'].id}", "/statistics", "/statistics.csv"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (role, url, response.text[:300])
    assert tender.title in client.get("/notices", headers=headers).text
    assert client.get("/statistics.xlsx", headers=headers).content[:2] == b"PK"  # a zip: the workbook
