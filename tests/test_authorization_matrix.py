"""DESIGN §4.7 least privilege: every endpoint against every role.

``MATRIX`` is the expected policy written out by hand, independently of ``ggzy.core.permissions.POLICY``: a new
endpoint fails these tests until it is added here, and a change of policy must change both. Finer, row-level
scoping (this centre, this owner, this region) is tested in each domain's tests.
"""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ggzy.app import create_app
from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import POLICY, Permission, PermissionedRoute, Role
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import token_for, user_with_role

R = Role
EVERYONE = frozenset(Role)
LOGGED_IN = EVERYONE - {R.VISITOR}
MARKET = frozenset({R.OWNER, R.AGENT, R.BIDDER, R.INSTITUTION})
SITE_RECORD_READERS = frozenset({R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR, R.EXPERT, R.BIDDER})

MATRIX: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/health"): EVERYONE,
    ("GET", "/api/v1/calendar/years"): EVERYONE,
    ("PUT", "/api/v1/calendar/years/{year}"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/api/v1/calendar/working-days"): EVERYONE,
    ("POST", "/api/v1/auth/nonce"): EVERYONE,
    ("POST", "/api/v1/auth/certificate-login"): EVERYONE,
    ("POST", "/api/v1/auth/password-login"): EVERYONE,
    ("POST", "/api/v1/auth/logout"): LOGGED_IN,
    ("GET", "/api/v1/auth/me"): LOGGED_IN,
    ("GET", "/api/v1/centres"): EVERYONE,
    ("POST", "/api/v1/centres"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/api/v1/entities"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/api/v1/entities"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("GET", "/api/v1/entities/me"): MARKET,
    ("PATCH", "/api/v1/entities/me"): MARKET,
    ("GET", "/api/v1/entities/{entity_id}"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR}),
    ("PATCH", "/api/v1/entities/{entity_id}"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("GET", "/api/v1/entities/me/users"): MARKET,
    ("POST", "/api/v1/entities/me/users"): MARKET,
    ("GET", "/api/v1/entities/me/relations"): MARKET,
    ("POST", "/api/v1/entities/me/relations"): MARKET,
    ("GET", "/api/v1/entities/{entity_id}/relations"): frozenset(
        {R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR}
    ),
    ("POST", "/api/v1/entity-relations"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("PATCH", "/api/v1/entity-relations/{relation_id}"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("POST", "/api/v1/users"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("POST", "/api/v1/users/{user_id}/roles"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("POST", "/api/v1/users/{user_id}/suspension"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("DELETE", "/api/v1/users/{user_id}/suspension"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("GET", "/api/v1/trust/anchors"): EVERYONE,
    ("POST", "/api/v1/trust/anchors"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/api/v1/trust/revocation-lists"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/api/v1/feed"): EVERYONE,
    ("GET", "/api/v1/ledger/checkpoint"): EVERYONE,
    ("GET", "/api/v1/ledger/keys"): EVERYONE,
    ("GET", "/api/v1/ledger/entries"): EVERYONE,
    ("GET", "/api/v1/ledger/proofs/inclusion"): EVERYONE,
    ("GET", "/api/v1/ledger/proofs/consistency"): EVERYONE,
    ("GET", "/api/v1/ledger/events/{event_id}"): EVERYONE,
    ("POST", "/api/v1/ledger/cosignatures"): EVERYONE,
    ("POST", "/api/v1/ledger/witnesses"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/api/v1/ledger/checkpoints"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/api/v1/tenders"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/custodians"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/bids"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/tenders/{tender_id}/bids/withdraw"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/tenders/{tender_id}/bids/mine"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/tenders/{tender_id}/opening"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/opening/start"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/decryptions"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/tenders/{tender_id}/opening-keys/{suite}/releases"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/bids/{bid_id}/custodian-open"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/opening/finish"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/opening/objections"): frozenset({R.BIDDER}),
    # 竞争性谈判, 竞争性磋商: rounds of sealed quotations (政府采购法 第38条)
    ("POST", "/api/v1/tenders/{tender_id}/quotation-rounds"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("GET", "/api/v1/tenders/{tender_id}/quotation-rounds/{number}"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/quotation-rounds/{number}/keys/{suite}/releases"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/quotation-rounds/{number}/opening"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("POST", "/api/v1/tenders/{tender_id}/quotations"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/tenders/{tender_id}/quotations/mine"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/tenders/{tender_id}/negotiation-notices"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("GET", "/api/v1/tenders/{tender_id}/negotiation-notices/mine"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/opening-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("GET", "/api/v1/tenders/{tender_id}/opening-keys"): EVERYONE,
    # a custodian's own encrypted shares: any logged-in user, scoped to its entity's custodians (tendering.custody)
    ("GET", "/api/v1/custody/shares"): LOGGED_IN,
    ("PUT", "/api/v1/tenders/{tender_id}/documents"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/tenders/{tender_id}/documents"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/sole-supplier-publicity"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/sole-supplier-publicity/objections"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/sole-supplier-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/clarifications"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/tenders/{tender_id}/clarifications"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/cancel"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/tenders"): EVERYONE,
    ("GET", "/api/v1/tenders/{tender_id}"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/objections"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/registrations"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/registrations/mine"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/projects"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/projects"): frozenset(
        {R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}
    ),
    ("GET", "/api/v1/projects/{project_id}"): frozenset(
        {R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}
    ),
    ("POST", "/api/v1/projects/{project_id}/accept"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/projects/{project_id}/return"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/experts"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/committee/draw"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/committee/check-ins"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/tenders/{tender_id}/evaluation"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/qualification"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/score-sheets"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/rejections"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/report"): frozenset({R.CENTRE_STAFF, R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/chair-votes"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/report/signatures"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/evaluation/report/signature-refusals"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/evaluation-assignments/mine"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/evaluation/signing-keys"): frozenset({R.EXPERT, R.OWNER}),
    ("GET", "/api/v1/evaluation/signing-keys/mine"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/tenders/{tender_id}/publicity"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/publicity/objections"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/publicity-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/result-challenges"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/tenders/{tender_id}/process-challenges"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/result-challenges/{challenge_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/award"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/contract"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/tenders/{tender_id}/award"): EVERYONE,
    ("POST", "/api/v1/tenders/{tender_id}/deposits/sub-account"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/tenders/{tender_id}/deposits/forfeitures"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/tenders/{tender_id}/deposits/forfeitures"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    # a bidder its own; the owner, agent, centre staff and supervisor every bid's after the opening (finance.access)
    ("GET", "/api/v1/tenders/{tender_id}/deposits"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    # the bank's credit notices: authenticated by the bank's signature against the pinned key, not by a user
    ("POST", "/api/v1/finance/bank/notices"): EVERYONE,
    ("GET", "/api/v1/finance/reconciliations"): frozenset({R.CENTRE_STAFF}),
    # electronic guarantees (decision 0035); row-level scope (own institution, own guarantee) in tests/finance
    ("POST", "/api/v1/guarantees/institutions"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/guarantees/quotes"): frozenset({R.INSTITUTION}),
    ("POST", "/api/v1/guarantees"): frozenset({R.INSTITUTION}),
    ("GET", "/api/v1/guarantees"): frozenset({R.INSTITUTION}),
    ("GET", "/api/v1/guarantees/{guarantee_id}"): frozenset(
        {R.INSTITUTION, R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    ("POST", "/api/v1/guarantees/{guarantee_id}/amendments"): frozenset({R.INSTITUTION}),
    ("POST", "/api/v1/guarantees/{guarantee_id}/cancel"): frozenset({R.INSTITUTION}),
    ("POST", "/api/v1/guarantees/{guarantee_id}/claim/payment"): frozenset({R.INSTITUTION}),
    # performance security and fees (decision 0037); row-level scope (winner, owner, centre) in tests/finance
    ("POST", "/api/v1/finance/performance/{tender_id}/requirement"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/finance/performance/{tender_id}"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    ("POST", "/api/v1/finance/performance/{tender_id}/guarantee"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/finance/performance/{tender_id}/completion"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/finance/fee-schedules"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/finance/fee-schedules"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/finance/fee-notices/{tender_id}"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    ("POST", "/api/v1/award-loans"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/award-loans/offered"): frozenset({R.INSTITUTION}),
    ("GET", "/api/v1/award-letters/mine"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/award-letters/{letter_id}"): frozenset({R.BIDDER, R.OWNER, R.AGENT}),
    ("GET", "/api/v1/documents/signing-certificate"): EVERYONE,
    ("GET", "/api/v1/documents/tenders/{tender_id}/bids/{bid_id}/receipt.pdf"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/documents/tenders/{tender_id}/opening-record.pdf"): EVERYONE,
    ("GET", "/api/v1/documents/tenders/{tender_id}/evaluation-report.pdf"): EVERYONE,
    ("GET", "/api/v1/documents/tenders/{tender_id}/publicity.pdf"): EVERYONE,
    ("GET", "/api/v1/documents/auctions/{auction_id}/confirmation.pdf"): EVERYONE,
    ("GET", "/api/v1/documents/letters/{letter_id}.pdf"): frozenset({R.BIDDER, R.OWNER, R.AGENT}),
    ("GET", "/api/v1/documents/tenders/{tender_id}/witness-certificate.pdf"): frozenset(
        {R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}
    ),
    ("POST", "/api/v1/tenders/{tender_id}/publicity/republish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/complaints"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/complaints"): frozenset({R.BIDDER, R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/api/v1/complaints/{complaint_id}"): frozenset({R.BIDDER, R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/accept"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/refuse"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/reviews"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/reviews/end"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/suspension"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/suspension/lift"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/uphold"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/dismiss"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/investigations"): frozenset({R.SUPERVISOR}),
    ("GET", "/api/v1/complaints/{complaint_id}/investigations"): frozenset({R.BIDDER, R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/hearings"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/complaints/{complaint_id}/hearings/{hearing_id}/record"): frozenset({R.SUPERVISOR}),
    ("GET", "/api/v1/complaints/{complaint_id}/hearings"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}
    ),
    ("GET", "/api/v1/hearings/mine"): frozenset({R.BIDDER, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}),
    # missed statutory periods (DESIGN §5): supervision, inspection, the centre's staff, the administrator
    ("GET", "/api/v1/violations"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR}),
    # random inspections (双随机一公开, decision 0042): supervisors act, everyone reads
    ("POST", "/api/v1/inspections"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/inspections/{plan_id}/draw"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/inspections/{plan_id}/findings"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/inspections/{plan_id}/publish"): frozenset({R.SUPERVISOR}),
    ("GET", "/api/v1/inspections"): EVERYONE,
    # the full trail of an opened round (decision 0043): supervision and discipline inspection
    ("GET", "/api/v1/oversight/rounds"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/api/v1/supervision/board"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/api/v1/supervision/watchlist"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/api/v1/supervision/watchlist"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/supervision/watchlist/{entry_id}/remove"): frozenset({R.SUPERVISOR}),
    # tip-offs (举报, decision 0045): anyone reports and follows by its code; the supervisors of its scope handle it
    ("POST", "/api/v1/tipoffs"): EVERYONE,
    ("POST", "/api/v1/tipoffs/follow"): EVERYONE,
    ("GET", "/api/v1/tipoffs"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/tipoffs/{tipoff_id}/accept"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/tipoffs/{tipoff_id}/decline"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/tipoffs/{tipoff_id}/close"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/auctions"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/auctions/{auction_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/auctions/{auction_id}"): EVERYONE,
    ("GET", "/api/v1/auctions/{auction_id}/bids"): EVERYONE,
    ("POST", "/api/v1/auctions/{auction_id}/registrations"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/auctions/{auction_id}/timed-bidding-requests"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/auctions/{auction_id}/bids"): frozenset({R.BIDDER}),
    ("PUT", "/api/v1/auctions/{auction_id}/reserve"): frozenset({R.OWNER}),
    ("POST", "/api/v1/auctions/{auction_id}/reserve/opening"): frozenset({R.OWNER}),
    ("POST", "/api/v1/auctions/{auction_id}/close"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),  # 0053
    ("POST", "/api/v1/auctions/{auction_id}/deposits/release"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF, R.BIDDER}),
    ("POST", "/api/v1/auctions/{auction_id}/suspension"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("POST", "/api/v1/auctions/{auction_id}/resumption"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("GET", "/api/v1/auctions/{auction_id}/suspensions"): EVERYONE,
    ("POST", "/api/v1/auctions/{auction_id}/cap-lottery"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/auctions/{auction_id}/confirmation/signature"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/oversight/tenders/{tender_id}/trail"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/api/v1/inspections/{plan_id}"): EVERYONE,
    # credit (decision 0040): the supervisory department decides and imports; it and inspection read the counts;
    # the credit query and the blacklist are public
    ("POST", "/api/v1/credit/penalties"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/credit/records"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/credit/records/{record_id}/revocation"): frozenset({R.SUPERVISOR}),
    ("POST", "/api/v1/credit/lists"): frozenset({R.SUPERVISOR}),
    ("GET", "/api/v1/credit/interceptions"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/api/v1/credit/query"): EVERYONE,
    ("GET", "/api/v1/credit/blacklist"): EVERYONE,
    # on-site records (现场见证记录, decision 0048): the tender's centre staff record and withdraw; staff, supervision
    # and inspection read by scope, an expert its own after the result, a bidder its own
    ("POST", "/api/v1/tenders/{tender_id}/site-records"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/site-records/{record_id}/withdrawal"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/site-records"): SITE_RECORD_READERS,
    ("GET", "/api/v1/site-records/{record_id}"): SITE_RECORD_READERS,
    ("GET", "/api/v1/centres/{centre_id}/venues"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/centres/{centre_id}/venues"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/venues/{venue_id}/retire"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/venues/{venue_id}/bookings"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/api/v1/tenders/{tender_id}/venue-bookings"): frozenset({R.CENTRE_STAFF, R.OWNER, R.AGENT}),
    ("POST", "/api/v1/tenders/{tender_id}/venue-bookings"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/venue-bookings/{booking_id}/cancel"): frozenset({R.CENTRE_STAFF}),
    # prequalification (资格预审, 招标投标法实施条例 第15–22条): run by the owner or its agent, applied for by bidders
    ("POST", "/api/v1/prequalifications"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/prequalifications/{prequalification_id}"): EVERYONE,
    ("PUT", "/api/v1/prequalifications/{prequalification_id}/documents"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/prequalifications/{prequalification_id}/documents"): EVERYONE,
    ("POST", "/api/v1/prequalifications/{prequalification_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/clarifications"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/api/v1/prequalifications/{prequalification_id}/clarifications"): EVERYONE,
    ("POST", "/api/v1/prequalifications/{prequalification_id}/objections"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/prequalification-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/applications"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/prequalifications/{prequalification_id}/applications/mine"): frozenset({R.BIDDER}),
    ("GET", "/api/v1/prequalifications/{prequalification_id}/applications"): LOGGED_IN,
    ("POST", "/api/v1/prequalifications/{prequalification_id}/opening/start"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/decryptions"): frozenset({R.BIDDER}),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/opening/finish"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/committee"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/api/v1/prequalification-applications/{application_id}/review"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/result"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/prequalification-applications/{application_id}/result-notice"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/api/v1/prequalifications/{prequalification_id}/tender"): frozenset({R.OWNER, R.AGENT}),
    # the portal's pages (HTML; a refusal is an error page with its code in the x-problem-code header)
    ("GET", "/"): EVERYONE,
    # logging in from a browser, and the workspaces (every POST also needs its form's CSRF token)
    ("GET", "/login"): EVERYONE,
    ("GET", "/assistant"): EVERYONE,
    ("POST", "/login/certificate"): EVERYONE,
    ("POST", "/login/password"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/workspace"): LOGGED_IN,
    # a custodian's shares (tendering.custody): any logged-in user, scoped to its entity's custodians
    ("GET", "/workspace/custody"): LOGGED_IN,
    ("POST", "/workspace/custody/releases"): LOGGED_IN - {R.INSPECTOR},
    ("GET", "/workspace/bidder"): frozenset({R.BIDDER}),
    ("GET", "/workspace/bidder/tenders/{tender_id}"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/tenders/{tender_id}/registration"): frozenset({R.BIDDER}),
    ("GET", "/workspace/bidder/auctions/{auction_id}"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/auctions/{auction_id}/registration"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/auctions/{auction_id}/timed-bidding-request"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/auctions/{auction_id}/bids"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/auctions/{auction_id}/deposits/release"): frozenset({R.BIDDER}),  # 0053
    ("POST", "/workspace/bidder/tenders/{tender_id}/deposit-sub-account"): frozenset({R.BIDDER}),
    ("GET", "/workspace/institution"): frozenset({R.INSTITUTION}),
    # performance security and fees (decision 0037)
    ("GET", "/workspace/centre/fee-schedule"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/fee-schedule"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/fees/{tender_id}"): frozenset({R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}),
    ("GET", "/workspace/performance/{tender_id}"): frozenset(
        {R.BIDDER, R.OWNER, R.AGENT, R.CENTRE_STAFF, R.SUPERVISOR}
    ),
    ("POST", "/workspace/performance/{tender_id}/guarantee"): frozenset({R.BIDDER}),
    ("POST", "/workspace/performance/{tender_id}/completion"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/performance-requirement"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/bidder/tenders/{tender_id}/bids"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/tenders/{tender_id}/bids/withdraw"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/tenders/{tender_id}/decryption"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/tenders/{tender_id}/opening-objections"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/sole-supplier/{tender_id}/objections"): frozenset({R.BIDDER}),
    ("GET", "/workspace/negotiations/{tender_id}"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/workspace/negotiations/{tender_id}/rounds"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/workspace/negotiations/{tender_id}/rounds/{number}/opening"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("POST", "/workspace/negotiations/{tender_id}/notices"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("GET", "/workspace/bidder/tenders/{tender_id}/quotations"): frozenset({R.BIDDER}),
    ("GET", "/workspace/openings/{tender_id}"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/workspace/openings/{tender_id}/start"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/workspace/openings/{tender_id}/bids/{bid_id}/custodian-open"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("POST", "/workspace/openings/{tender_id}/finish"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    ("POST", "/workspace/openings/{tender_id}/objections/{objection_id}/answer"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF}
    ),
    ("GET", "/workspace/letters/{letter_id}"): frozenset({R.BIDDER, R.OWNER, R.AGENT}),
    ("GET", "/workspace/projects"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/lots/{lot_id}/tenders"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/workspace/projects/tenders/{tender_id}"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/deposits/forfeitures"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/documents"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/sole-supplier-publicity"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/sole-supplier-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/terminate"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/clarifications"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/award"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/award/next-candidate"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/publicity-objections/{objection_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/publicity"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/contract"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/tenders/{tender_id}/publicity/republish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/result-challenges/{challenge_id}/answer"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/workspace/objections"): frozenset({R.BIDDER}),
    ("GET", "/workspace/objections/tenders/{tender_id}"): frozenset({R.BIDDER}),
    ("POST", "/workspace/objections/tenders/{tender_id}/result-objection"): frozenset({R.BIDDER}),
    ("POST", "/workspace/objections/tenders/{tender_id}/result-challenge"): frozenset({R.BIDDER}),
    ("POST", "/workspace/objections/tenders/{tender_id}/process-challenge"): frozenset({R.BIDDER}),
    ("POST", "/workspace/objections/tenders/{tender_id}/complaint"): frozenset({R.BIDDER}),
    ("GET", "/workspace/complaints"): frozenset({R.SUPERVISOR}),
    ("GET", "/workspace/complaints/{complaint_id}"): frozenset({R.BIDDER, R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/workspace/complaints/{complaint_id}/accept"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/refuse"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/suspension"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/reviews"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/reviews/end"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/suspension/lift"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/uphold"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/dismiss"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/investigations"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/hearings"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/complaints/{complaint_id}/hearings/{hearing_id}/record"): frozenset({R.SUPERVISOR}),
    ("GET", "/workspace/hearings"): frozenset({R.BIDDER, R.OWNER, R.AGENT, R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/workspace/centre"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/centre/statistics"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/projects/{project_id}/accept"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/projects/{project_id}/return"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/venues"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/venues/{venue_id}/retire"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/bookings"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/bookings/{booking_id}/cancel"): frozenset({R.CENTRE_STAFF}),
    # the centre's finance desk (issue 12): reconciliations, alerts, refund batches, suspense; resolving an alert
    ("GET", "/workspace/centre/finance"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/finance/alerts/{alert_id}/resolve"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/centre/finance/tenders/{tender_id}"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/violations"): frozenset({R.PLATFORM_ADMIN, R.CENTRE_STAFF, R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/workspace/inspections"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/inspections"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/inspections/{plan_id}/draw"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/inspections/{plan_id}/findings"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/inspections/{plan_id}/publish"): frozenset({R.SUPERVISOR}),
    ("GET", "/inspections"): EVERYONE,
    ("GET", "/workspace/oversight"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/workspace/board"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/workspace/watchlist"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/workspace/watchlist"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/watchlist/{entry_id}/remove"): frozenset({R.SUPERVISOR}),
    ("GET", "/tipoffs"): EVERYONE,
    ("POST", "/tipoffs"): EVERYONE,
    ("GET", "/tipoffs/follow"): EVERYONE,
    ("POST", "/tipoffs/follow"): EVERYONE,
    ("GET", "/workspace/tipoffs"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/tipoffs/{tipoff_id}/accept"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/tipoffs/{tipoff_id}/decline"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/tipoffs/{tipoff_id}/close"): frozenset({R.SUPERVISOR}),
    ("GET", "/workspace/oversight/tenders/{tender_id}"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("GET", "/credit/blacklist"): EVERYONE,
    ("GET", "/credit/query"): EVERYONE,
    ("GET", "/workspace/credit"): frozenset({R.SUPERVISOR, R.INSPECTOR}),
    ("POST", "/workspace/credit/penalties"): frozenset({R.SUPERVISOR}),
    ("POST", "/workspace/credit/lists"): frozenset({R.SUPERVISOR}),
    ("GET", "/workspace/centre/tenders/{tender_id}/site-records"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/tenders/{tender_id}/site-records"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/site-records/{record_id}/withdraw"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/site-records"): SITE_RECORD_READERS,
    ("GET", "/workspace/site-records/{record_id}"): SITE_RECORD_READERS,
    # the platform administrator's workspace (平台管理): its pages and forms, the administrator's only
    ("GET", "/workspace/admin"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/admin/users"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/users"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/users/{user_id}/roles"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/admin/centres"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/centres"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/admin/trust"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/trust/anchors"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/trust/revocation-lists"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/admin/calendar"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/calendar"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/admin/witnesses"): frozenset({R.PLATFORM_ADMIN}),
    ("POST", "/workspace/admin/witnesses"): frozenset({R.PLATFORM_ADMIN}),
    ("GET", "/workspace/expert"): frozenset({R.EXPERT, R.OWNER}),
    ("GET", "/workspace/expert/tenders/{tender_id}"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/score-sheets"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/signing-key"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/qualification"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/rejections"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/chair-votes"): frozenset({R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/report"): frozenset({R.CENTRE_STAFF, R.EXPERT, R.OWNER}),
    ("POST", "/workspace/expert/tenders/{tender_id}/report-signatures"): frozenset({R.EXPERT, R.OWNER}),
    # the centre staff's evaluation pages (评标组织): draw, check in, start, and the report's refusals to sign
    ("GET", "/workspace/committee"): frozenset({R.CENTRE_STAFF}),
    ("GET", "/workspace/committee/tenders/{tender_id}"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/committee/tenders/{tender_id}/draw"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/committee/tenders/{tender_id}/check-ins"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/committee/tenders/{tender_id}/evaluation"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/committee/tenders/{tender_id}/signature-refusals"): frozenset({R.CENTRE_STAFF}),
    # the seller's rights trades (decision 0051): its rounds, drafts, publication and close
    ("GET", "/workspace/auctions"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/auctions"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/workspace/auctions/{auction_id}"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/auctions/{auction_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/auctions/{auction_id}/close"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/auctions/{auction_id}/deposits/release"): frozenset({R.OWNER, R.AGENT}),  # 0053
    # a court suspends and resumes its own judicial sale (网络司法拍卖规定 第二十八条): the owner's role only
    ("POST", "/workspace/auctions/{auction_id}/suspension"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("POST", "/workspace/auctions/{auction_id}/resumption"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    # the centre staff's pages of rights trades (decisions 0052, 0053): the rows are the staff's own centres' only
    ("GET", "/workspace/centre/auctions"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("GET", "/workspace/centre/auctions/{auction_id}"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("POST", "/workspace/centre/auctions/{auction_id}/suspension"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("POST", "/workspace/centre/auctions/{auction_id}/resumption"): frozenset({R.CENTRE_STAFF, R.OWNER}),
    ("POST", "/workspace/centre/auctions/{auction_id}/cap-lottery"): frozenset({R.CENTRE_STAFF}),
    ("POST", "/workspace/centre/auctions/{auction_id}/deposits-release"): frozenset(
        {R.OWNER, R.AGENT, R.CENTRE_STAFF, R.BIDDER}
    ),
    ("POST", "/workspace/centre/auctions/{auction_id}/close"): frozenset({R.OWNER, R.AGENT, R.CENTRE_STAFF}),
    # prequalification pages: the owner's or agent's to run it, the applicant's to apply
    ("GET", "/workspace/projects/prequalifications/{prequalification_id}"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/prequalifications/{prequalification_id}/publish"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/prequalifications/{prequalification_id}/result"): frozenset({R.OWNER, R.AGENT}),
    ("POST", "/workspace/projects/prequalification-applications/{application_id}/result-notice"): frozenset(
        {R.OWNER, R.AGENT}
    ),
    ("POST", "/workspace/projects/prequalifications/{prequalification_id}/tender"): frozenset({R.OWNER, R.AGENT}),
    ("GET", "/workspace/bidder/prequalifications/{prequalification_id}"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/prequalifications/{prequalification_id}/applications"): frozenset({R.BIDDER}),
    ("POST", "/workspace/bidder/prequalifications/{prequalification_id}/decryption"): frozenset({R.BIDDER}),
    # the live opening hall: pages and its event stream, for every visitor
    ("GET", "/openings"): EVERYONE,
    ("GET", "/openings/{tender_id}"): EVERYONE,
    ("GET", "/openings/{tender_id}/events"): EVERYONE,
    ("GET", "/auctions"): EVERYONE,
    ("GET", "/auctions/{auction_id}"): EVERYONE,
    ("GET", "/auctions/{auction_id}/bids"): EVERYONE,
    ("GET", "/auctions/{auction_id}/events"): EVERYONE,
    ("GET", "/notices"): EVERYONE,
    ("GET", "/notices/sole-supplier"): EVERYONE,
    ("GET", "/projects/{project_id}"): EVERYONE,
    ("GET", "/statistics"): EVERYONE,
    ("GET", "/statistics.csv"): EVERYONE,
    ("GET", "/statistics.xlsx"): EVERYONE,
}

# Inspectors (discipline inspection, audit) are read-only everywhere (DESIGN §4.7).
READ_METHODS = {"GET", "HEAD"}
ENDPOINTS = sorted(MATRIX)


def _published_operations(app: FastAPI) -> dict[tuple[str, str], dict]:
    """Every operation of the OpenAPI document (the contract other systems see)."""
    operations = {}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            operations[(method.upper(), path)] = operation
    return operations


def test_every_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    assert set(_published_operations(app)) == set(MATRIX)


@pytest.fixture(scope="module")
def published(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    """The operations of the OpenAPI document of an app made as the ``app`` fixture makes it, generated once for the
    module: generating it takes about a second, and it was generated again for each of the endpoints below."""
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("matrix"), database_url="sqlite://", ledger_background=False),
        session_factory=session_factory(engine),
        clock=FixedClock(TEST_NOW),
        secret_key=b"test-secret-key-test-secret-key!",
        ledger_keys=LEDGER_KEYS,
    )
    return _published_operations(app)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=" ".join)
def test_every_endpoint_publishes_its_permission_and_the_roles_match_the_matrix(
    published: dict[tuple[str, str], dict], endpoint: tuple[str, str]
) -> None:
    operation = published[endpoint]
    assert Permission(operation["x-permission"]) in POLICY
    assert set(operation["x-roles"]) == {role.value for role in MATRIX[endpoint]}


def test_an_endpoint_without_a_permission_cannot_be_mounted() -> None:
    router = APIRouter(route_class=PermissionedRoute)
    with pytest.raises(TypeError, match="exactly one permission"):

        @router.get("/unguarded")
        def unguarded() -> None: ...


def test_inspectors_change_nothing_a_visitor_could_not() -> None:
    """Discipline inspection and audit read; any write open to them is one open to every visitor (logging in, a
    witness posting its cosignature) or ends their own session."""
    writes = [
        endpoint for endpoint, roles in MATRIX.items() if R.INSPECTOR in roles and endpoint[0] not in READ_METHODS
    ]
    assert all(R.VISITOR in MATRIX[endpoint] or endpoint[1] == "/api/v1/auth/logout" for endpoint in writes), writes


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_is_refused_exactly_what_the_matrix_refuses(client: TestClient, db: Session, role: Role) -> None:
    headers = {}
    if role != R.VISITOR:
        headers = token_for(db, user_with_role(db, role, entity=role in MARKET))
    for method, path in ENDPOINTS:
        if (method, path) == ("POST", "/api/v1/auth/logout"):
            continue  # would end the session the rest of the loop uses; checked on its own below
        url = re.sub(r"\{[a-z_]+\}", "999999", path)
        response = client.request(method, url, headers=headers, json={} if method in ("POST", "PATCH", "PUT") else None)
        body = response.json() if response.headers["content-type"].endswith("json") else None
        code = body.get("code") if isinstance(body, dict) else response.headers.get("x-problem-code")
        if role in MATRIX[(method, path)]:
            assert code not in ("not_authenticated", "permission_denied"), (method, path, response.text)
        elif role == R.VISITOR:
            assert (response.status_code, code) == (401, "not_authenticated"), (method, path)
        else:
            assert (response.status_code, code) == (403, "permission_denied"), (method, path, response.text)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_logout_by_role(client: TestClient, db: Session, role: Role) -> None:
    headers = {} if role == R.VISITOR else token_for(db, user_with_role(db, role, entity=role in MARKET))
    response = client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == (401 if role == R.VISITOR else 204)
