"""The sale's confirmation (成交确认书, decision 0051; 拍卖法 第五十二条): made at the close with the price in figures
and in capitals, signed online by the buyer with its certificate, read (PDF) by the seller, its agent and the buyer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.auctions import confirmation, errors, letter, reserve, service
from ggzy.core.clock import FixedClock
from ggzy.core.events import events_for
from ggzy.core.permissions import Principal
from ggzy.entities.service import find_user, get_entity
from tests.auctions.support import (
    LISTING_END,
    LISTING_START,
    RESERVE,
    STEP,
    Trade,
    bid,
    confirmation_signature,
    counts,
    make_trade,
    registered,
    seal_reserve_envelope,
)
from tests.conftest import TEST_NOW
from tests.factories import token_for

AFTER = LISTING_END + timedelta(seconds=1)
PRICE = RESERVE + STEP


def _sold(db: Session) -> tuple[Trade, Principal, Principal]:
    trade = make_trade(db)
    loser, buyer = registered(db, trade, 2)
    assert trade.holder is not None
    sealed = seal_reserve_envelope(db, trade, RESERVE)
    reserve.seal_reserve(db, trade.holder, auction_id=trade.auction.id, envelope=sealed.envelope, now=TEST_NOW)
    during = LISTING_START + timedelta(days=1)
    bid(db, trade, loser, RESERVE, during)
    bid(db, trade, buyer, PRICE, during)
    reserve.open_reserve(db, trade.holder, auction_id=trade.auction.id, data_key=sealed.data_key, now=AFTER)
    service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=AFTER)
    return trade, loser, buyer


def test_the_confirmation_names_the_buyer_and_the_price_in_capitals_拍卖法第五十二条(db: Session) -> None:
    trade, _, buyer = _sold(db)
    auction = trade.auction
    assert buyer.entity_id is not None
    assert auction.buyer_entity_id == buyer.entity_id
    text = auction.confirmation_text or ""
    assert text.startswith("成交确认书")
    assert "1,060,000.00 元（人民币壹佰零陆万元整）" in text
    assert get_entity(db, buyer.entity_id).credit_code in text
    assert "拍卖法 第五十二条" in text
    assert auction.confirmation_sha256 == letter.digest(text)


def test_the_buyer_signs_it_once_and_no_one_else_can(db: Session) -> None:
    trade, loser, buyer = _sold(db)
    auction_id, sha = trade.auction.id, trade.auction.confirmation_sha256 or ""
    assert loser.entity_id is not None
    assert buyer.entity_id is not None
    before = counts(db, auction_id)
    pem, signature = confirmation_signature(db, loser.entity_id, auction_id, sha)
    with pytest.raises(errors.NotTheBuyer):
        confirmation.sign_confirmation(
            db, loser, auction_id=auction_id, certificate_pem=pem, signature=signature, now=AFTER
        )
    with pytest.raises(errors.ConfirmationSignatureWrong):  # the loser's certificate
        confirmation.sign_confirmation(
            db, buyer, auction_id=auction_id, certificate_pem=pem, signature=signature, now=AFTER
        )
    pem, signature = confirmation_signature(db, buyer.entity_id, auction_id, "0" * 64)
    with pytest.raises(errors.ConfirmationSignatureWrong):  # signs another text
        confirmation.sign_confirmation(
            db, buyer, auction_id=auction_id, certificate_pem=pem, signature=signature, now=AFTER
        )
    assert counts(db, auction_id) == before
    pem, signature = confirmation_signature(db, buyer.entity_id, auction_id, sha)
    signed = confirmation.sign_confirmation(
        db, buyer, auction_id=auction_id, certificate_pem=pem, signature=signature, now=AFTER
    )
    assert signed.confirmation_signed_at == AFTER
    assert [e.action for e in events_for(db, "auction", auction_id)][-1] == "auction.confirmation_signed"
    with pytest.raises(errors.ConfirmationAlreadySigned):
        confirmation.sign_confirmation(
            db, buyer, auction_id=auction_id, certificate_pem=pem, signature=signature, now=AFTER
        )


def test_a_failed_trade_has_no_confirmation(db: Session) -> None:
    failed = make_trade(db)
    service.close_auction(db, failed.seller, auction_id=failed.auction.id, now=AFTER)  # no bid: 流拍
    with pytest.raises(errors.ConfirmationNotReady):
        confirmation.confirmation_view(db, failed.seller, auction_id=failed.auction.id)


def test_the_seller_and_the_buyer_download_it_signed_and_no_one_else(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade, loser, buyer = _sold(db)
    clock.set(AFTER)
    path = f"/api/v1/documents/auctions/{trade.auction.id}/confirmation.pdf"
    buyer_user, loser_user = find_user(db, buyer.user_id or 0), find_user(db, loser.user_id or 0)
    assert buyer_user is not None
    assert loser_user is not None
    for user in (trade.setup["agent_user"], trade.setup["owner_user"], buyer_user):
        answer = client.get(path, headers=token_for(db, user))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
    assert client.get(path).status_code == 403
    assert client.get(path, headers=token_for(db, loser_user)).json()["code"] == "auction_confirmation_not_yours"
