"""The bidder's client: seal a bid offline, submit it, check the platform's receipt, hand over the data key at opening.

Plain functions, no Typer (``ggzy bid`` in :mod:`ggzy.bidclient_cli` wraps them). Everything that talks to the
platform goes through a :class:`Transport`: :class:`UrllibTransport` (standard library only) in real use, or any
object with the same ``request`` method, e.g. one around FastAPI's TestClient in the tests.

The server API used (``TENDER`` is a tender URL such as ``http://host/api/v1/tenders/7``):

- ``GET TENDER``: ``lot_code``, ``bid_deadline`` and ``summary_fields`` (the opening summary every sealed summary
  must carry, checked before sealing);
- ``GET TENDER/opening-keys``: ``[{suite, public_key_pem, fingerprint, threshold, shares}]`` (``shares``: each
  share's ``share_index``, ``custodian_fingerprint`` and ``encrypted_share_sha256``, what a custodian's assistant
  checks a share against before releasing it);
- ``POST TENDER/bids``: multipart field ``envelope``, ``Authorization: Bearer``, optional ``Ggzy-Device`` (JSON),
  answering a receipt ``{bid_id, tender_id, received_at, ciphertext_sha256, ciphertext_size, event_id, signature}``
  signed (Ed25519) by the first key of ``GET …/api/v1/ledger/keys`` → ``verifier_keys``; ``bid_id`` is the bid's
  random public id (``bid_…``, docs/decisions/0014), never a number that counts other bids;
- ``POST TENDER/decryptions``: ``{"data_key": base64}`` at opening (remote decryption, 远程解密).

The bidder's private key never leaves the machine: only the data key of one envelope is handed over.

The platform signs the receipt's ``received_at`` as Python's ``datetime.isoformat()`` writes it (``+00:00``) but its
JSON answer writes the same instant as pydantic does (``Z``); :func:`verify_receipt` accepts either writing of the
instant it was given (the signature still fixes the instant, to the microsecond).

The parts: :mod:`.transport` (transport, refusals, tender URLs), :mod:`.inputs`, :mod:`.sealing`, :mod:`.submission`
(upload and receipt) and :mod:`.opening`; everything callers use is importable from here.
"""

from ggzy.bidclient.inputs import (
    collect_files,
    load_opening_key,
    load_private_key,
    parse_device,
    parse_summary,
    summary_from_items,
)
from ggzy.bidclient.opening import (
    decrypt_and_hand_over,
    hand_over_data_key,
    open_envelope,
    unwrap_own_data_key,
)
from ggzy.bidclient.sealing import (
    SummaryRefused,
    TenderMaterial,
    check_summary_for_sealing,
    fetch_round_material,
    fetch_tender_material,
    seal_for_tender,
)
from ggzy.bidclient.submission import (
    INVALID_RECEIPT_SUFFIX,
    RECEIPT_FIELDS,
    RECEIPT_SUFFIX,
    MultipartBody,
    Submission,
    platform_verifier_key,
    read_header,
    receipt_message,
    receipt_path_for,
    submit_envelope,
    verify_receipt,
)
from ggzy.bidclient.transport import (
    BidClientError,
    HttpResponse,
    ServerProblem,
    TenderUrl,
    Transport,
    UrllibTransport,
    get_json,
)

__all__ = [
    "INVALID_RECEIPT_SUFFIX",
    "RECEIPT_FIELDS",
    "RECEIPT_SUFFIX",
    "BidClientError",
    "HttpResponse",
    "MultipartBody",
    "ServerProblem",
    "Submission",
    "SummaryRefused",
    "TenderMaterial",
    "TenderUrl",
    "Transport",
    "UrllibTransport",
    "check_summary_for_sealing",
    "collect_files",
    "decrypt_and_hand_over",
    "fetch_round_material",
    "fetch_tender_material",
    "get_json",
    "hand_over_data_key",
    "load_opening_key",
    "load_private_key",
    "open_envelope",
    "parse_device",
    "parse_summary",
    "platform_verifier_key",
    "read_header",
    "receipt_message",
    "receipt_path_for",
    "seal_for_tender",
    "submit_envelope",
    "summary_from_items",
    "unwrap_own_data_key",
    "verify_receipt",
]
