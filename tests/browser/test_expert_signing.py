"""An expert in a real browser (issue 5: "the score sheets of the lots it evaluates, signed on submit"): logs in by
password, enrols a signing key that Chromium's WebCrypto generates non-extractable and keeps in IndexedDB, scores a
bid and submits the sheet, which the page's script signs; the server verified the signature against the enrolled key
(the sheet shows as signed, with that key's fingerprint) and anyone holding the public key can check it again."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from playwright.sync_api import expect
from sqlalchemy import select

from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.evaluation import rules
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import ScoreSheet, SigningKey
from ggzy.experts import service as experts
from tests.browser.conftest import Site, screenshot
from tests.factories import check_in_committee, make_expert, make_opened_tender, principal

FACTORY_PASSWORD = "expert password 1"  # tests.factories.make_expert


def _evaluating(site: Site, ca_dir: Path) -> dict[str, Any]:
    """A scoring evaluation under way on the site's database, its lead member's login and the first bid."""
    with unit_of_work(site.factory) as db:
        opened = make_opened_tender(db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000], method="scoring")
        for _ in range(5):
            make_expert(db)
        staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
        tender_id, now = opened["tender"].id, opened["opened_at"]
        experts.draw_committee(
            db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0,
            owner_representative_user_ids=[], now=now,
        )  # fmt: skip
        check_in_committee(db, opened["staff"], tender_id, now)
        scheme = rules.Scheme(
            (),
            (rules.Criterion("technical", "技术方案", Decimal(30)), rules.Criterion("business", "商务", Decimal(20))),
            Decimal(50),
            rules.PriceFormula.LOWEST_BASE,
        )
        evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
        member = experts.sitting_members(db, tender_id)[0]
        user = db.get(User, member.user_id)
        assert user is not None
        # the draw may seat one of the demo's experts (the same specialty and region) or one made above
        password = site.demo["password"] if user.username.startswith("expert-") else FACTORY_PASSWORD
        return {
            "tender_id": tender_id, "bid_id": opened["bid_ids"][0], "member_id": member.id, "user_id": user.id,
            "username": user.username, "password": password, "opened_at": now,
        }  # fmt: skip


def test_an_expert_enrols_a_key_in_the_browser_and_submits_a_score_sheet_it_signed(
    page: Any, site: Site, gm_ca: Path
) -> None:
    scene = _evaluating(site, gm_ca)
    before = site.clock.now()
    site.clock.set(scene["opened_at"])
    try:
        page.goto(f"{site.url}/login")
        page.locator("#username").fill(scene["username"])
        page.locator("#password").fill(scene["password"])
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(re.compile(r"/workspace"))
        tender_page = f"{site.url}/workspace/expert/tenders/{scene['tender_id']}"
        page.goto(tender_page)
        # no key yet: the page asks to enrol first, and has no score form
        expect(page.locator("#signing-key")).to_contain_text("您尚未登记签名密钥")
        expect(page.locator('input[name="score.technical"]')).to_have_count(0)
        page.get_by_role("button", name="在本浏览器生成并登记签名密钥").click()

        # enrolled: the page shows the fingerprint and says this browser holds the key
        expect(page.locator('#signing-key [data-state="ready"]')).to_be_visible()
        fingerprint = page.locator('#signing-key [data-role="fingerprint"]').inner_text()
        with unit_of_work(site.factory, read_only=True) as db:
            key = db.scalar(
                select(SigningKey).where(SigningKey.user_id == scene["user_id"], SigningKey.revoked_at.is_(None))
            )
            assert key is not None
            assert key.fingerprint == fingerprint
            public_key_b64 = key.public_key
        # the private key stays in the browser and cannot be exported, even by the page's own scripts
        exported = page.evaluate(
            """(print) => new Promise((resolve) => {
                const open = indexedDB.open("ggzy-signing-keys", 1);
                open.onsuccess = () => {
                    const get = open.result.transaction("keys").objectStore("keys").get(print);
                    get.onsuccess = () => {
                        const key = get.result.privateKey;
                        crypto.subtle.exportKey("pkcs8", key).then(() => resolve("exported"),
                            (error) => resolve(key.extractable + " " + error.name));
                    };
                };
            })""",
            fingerprint,
        )
        assert exported == "false InvalidAccessError"

        form = page.locator(f'form[data-sign] input[name="bid_id"][value="{scene["bid_id"]}"] >> xpath=..')
        form.locator('input[name="score.technical"]').fill("27.5")
        form.locator('input[name="score.business"]').fill("18")
        page.once("dialog", lambda dialog: dialog.accept())  # a sheet is final: the page asks first (data-confirm)
        form.get_by_role("button", name="签名并提交评分表").click()
        sheet_line = page.locator(f'[data-sheet="{scene["bid_id"]}"]')
        expect(sheet_line).to_contain_text("已签名")
        expect(sheet_line).to_contain_text(fingerprint)
        screenshot(page, "expert-signed-score-sheet")
    finally:
        site.clock.set(before)

    with unit_of_work(site.factory, read_only=True) as db:
        sheet = db.scalar(
            select(ScoreSheet).where(ScoreSheet.bid_id == scene["bid_id"], ScoreSheet.member_id == scene["member_id"])
        )
        assert sheet is not None
        assert sheet.key_fingerprint == fingerprint
        assert sheet.total == "45.50"
        message, signature = sheet.signed_message, sheet.signature
    assert message == (
        f"ggzy score sheet v1\ntender={scene['tender_id']}\nbid={scene['bid_id']}\nmember={scene['member_id']}\n"
        "business=18\ntechnical=27.5\n"
    )
    assert signature is not None
    # checked again, offline, with nothing but the enrolled public key
    public_key = serialization.load_der_public_key(base64.b64decode(public_key_b64))
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    raw = base64.b64decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
