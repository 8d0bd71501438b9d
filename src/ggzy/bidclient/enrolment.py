"""An entity enrols one of its users by signing with its own certificate key (decision 0013).

The key never leaves the entity's machine: the client asks the platform for a one-time challenge, builds the
statement with the same function the server checks it with, signs it and sends the statement's fields, the
certificate and the signature to ``POST /api/v1/entities/me/users`` with the session of the entity's certificate.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from ggzy.bidclient.transport import BidClientError, Transport, authorization, json_answer
from ggzy.core.permissions import Role
from ggzy.crypto import PrivateKey
from ggzy.entities.enrolment import EnrolmentRole, enrolment_statement


def parse_roles(texts: list[str]) -> list[EnrolmentRole]:
    """``owner@12`` (the owner role at centre 12) or ``bidder`` (every centre)."""
    roles = []
    for text in texts:
        name, _, centre = text.strip().partition("@")
        try:
            role = Role(name)
            centre_id = int(centre) if centre else None
        except ValueError as error:
            raise BidClientError(
                "role_invalid",
                f"角色应形如 owner@12 或 bidder，而不是 {text}",
                f"a role looks like owner@12 or bidder, not {text}",
            ) from error
        roles.append(EnrolmentRole(role=role, centre_id=centre_id))
    return roles


def enrol_user(
    transport: Transport,
    *,
    api_base: str,
    token: str,
    certificate_pem: str,
    key: PrivateKey,
    username: str,
    display_name: str,
    password: str | None,
    roles: list[EnrolmentRole],
    now: datetime,
) -> Any:
    """Sign and send the enrolment; returns the platform's answer (the user, its roles and the kept evidence)."""
    api_base = api_base.rstrip("/")
    headers = authorization(token)
    entity = json_answer(transport.request("GET", f"{api_base}/entities/me", headers=headers), api_base)
    nonce_url = f"{api_base}/auth/nonce"
    challenge = json_answer(transport.request("POST", nonce_url, headers={"Accept": "application/json"}), nonce_url)
    statement = enrolment_statement(
        credit_code=entity["credit_code"], username=username, display_name=display_name, roles=roles,
        signed_at=now, challenge=challenge["nonce"],
    )  # fmt: skip
    body = {
        "username": username,
        "display_name": display_name,
        "password": password,
        "roles": [{"role": item.role.value, "centre_id": item.centre_id} for item in roles],
        "signed_at": now.isoformat(),
        "challenge": challenge["nonce"],
        "certificate_pem": certificate_pem,
        "intermediates_pem": [],
        "signature": base64.b64encode(key.sign(statement)).decode("ascii"),
    }
    url = f"{api_base}/entities/me/users"
    response = transport.request(
        "POST", url, headers={**headers, "Content-Type": "application/json"}, body=json.dumps(body).encode()
    )
    return json_answer(response, url)
