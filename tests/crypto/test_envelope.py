"""The sealed bid envelope: sealing offline, checking on the server, and opening by the bidder or the custodians."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from ggzy.crypto import (
    Certificate,
    DecryptionFailed,
    EnvelopeInvalid,
    PrivateKey,
    PublicKey,
    SignatureInvalid,
    Suite,
    check_envelope_for_lot,
    create_opening_key,
    data_key_size,
    decrypt_share,
    digest,
    generate_data_key,
    generate_exchange_key,
    load_private_key_pem,
    open_bid,
    open_stream,
    read_envelope_header,
    recover_opening_key,
    seal_bid,
    seal_stream,
    unwrap_data_key,
    verify_ciphertext,
    wrap_key,
)
from ggzy.crypto import envelope as envelope_module
from ggzy.crypto.envelope import MAGIC, BidFile, canonical_json, read_bid_file, verify_bid
from ggzy.crypto.envelope import package as envelope_package
from ggzy.demo import demo_credit_code
from tests.crypto.factories import NOW, issue_entity, make_ca

LOT = "GGZY-2026-0001-01"
SUMMARY: dict[str, Any] = {"price_fen": 1_234_567_00, "schedule_days": 180, "quality": "合格", "deposit_paid": True}
SMALL_CHUNK = 4096


@dataclass(frozen=True)
class Party:
    certificate: Certificate
    certificate_pem: str
    key: PrivateKey


@dataclass(frozen=True)
class World:
    suite: Suite
    bidder: Party
    rival: Party
    custodians: tuple[Party, ...]
    opening_key: PrivateKey


def _party(ca: Path, name: str, organisation: str) -> Party:
    issued = issue_entity(ca, name=name, credit_code=demo_credit_code("530100", organisation))
    return Party(issued.certificate, issued.certificate_pem, load_private_key_pem(issued.private_key_pem))


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[Suite, World]:
    worlds = {}
    for suite in Suite:
        ca = tmp_path_factory.mktemp(f"ca-{suite}")
        make_ca(ca, suite)
        worlds[suite] = World(
            suite=suite,
            bidder=_party(ca, "云南滇建工程有限公司", "MA6K3C003"),
            rival=_party(ca, "昆明某路桥有限公司", "MA6K4D004"),
            custodians=(
                _party(ca, "昆明市公共资源交易中心", "MA6K5E005"),
                _party(ca, "昆明市发展和改革委员会", "MA6K6F006"),
                _party(ca, "云南某公证处", "MA6K7G007"),
            ),
            opening_key=generate_exchange_key(suite),
        )
    return worlds


@pytest.fixture
def world(worlds: dict[Suite, World], suite: Suite) -> World:
    return worlds[suite]


@pytest.fixture(scope="module")
def five_megabytes() -> bytes:
    return os.urandom(5 * 1024 * 1024 + 123)


def seal(
    world: World,
    *,
    files: dict[str, bytes | Path] | None = None,
    summary: dict[str, Any] | None = None,
    chunk_size: int = envelope_module.DEFAULT_CHUNK_SIZE,
    opening_public_key: PublicKey | None = None,
    bidder: Party | None = None,
) -> bytes:
    bidder = bidder or world.bidder
    out = io.BytesIO()
    seal_bid(
        lot_code=LOT,
        suite=world.suite,
        summary=SUMMARY if summary is None else summary,
        files={"商务标.pdf": b"%PDF-1.7 business", "技术标/施工组织设计.pdf": b"%PDF-1.7 technical"}
        if files is None
        else files,
        bidder_certificate_pem=bidder.certificate_pem,
        bidder_private_key=bidder.key,
        opening_public_key=opening_public_key or world.opening_key.public_key,
        out=out,
        now=NOW,
        chunk_size=chunk_size,
    )
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def split(envelope: bytes) -> tuple[dict[str, Any], bytes]:
    start = len(MAGIC) + 4
    length = int.from_bytes(envelope[len(MAGIC) : start], "big")
    return json.loads(envelope[start : start + length]), envelope[start + length :]


def join(document: dict[str, Any], ciphertext: bytes, *, resign_with: PrivateKey | None = None) -> bytes:
    if resign_with is not None:
        unsigned = {key: value for key, value in document.items() if key != "signature"}
        document = {**unsigned, "signature": base64.b64encode(resign_with.sign(canonical_json(unsigned))).decode()}
    header = canonical_json(document)
    return MAGIC + len(header).to_bytes(4, "big") + header + ciphertext


def open_with_bidder_key(world: World, envelope: bytes, **kwargs: Any) -> Any:
    stream = io.BytesIO(envelope)
    header = read_envelope_header(stream)
    return open_bid(header, stream, unwrap_data_key(header, world.bidder.key, "bidder"), **kwargs)


def chunks_of(world: World, envelope: bytes) -> tuple[dict[str, Any], list[bytes]]:
    document, ciphertext = split(envelope)
    size = document["chunk_size"] + 16
    return document, [ciphertext[offset : offset + size] for offset in range(0, len(ciphertext), size)]


# --- round trips ------------------------------------------------------------------------------------------


def test_bidder_opens_its_own_bid_with_its_certificate_key(world: World) -> None:
    bid = open_with_bidder_key(world, seal(world))

    assert bid.summary == SUMMARY
    assert bid.lot_code == LOT
    assert bid.inner_signature_verified
    assert bid.bidder_certificate == world.bidder.certificate
    assert {item.name: item.content for item in bid.files} == {
        "商务标.pdf": b"%PDF-1.7 business",
        "技术标/施工组织设计.pdf": b"%PDF-1.7 technical",
    }


def test_bid_without_files_round_trips(world: World) -> None:
    assert open_with_bidder_key(world, seal(world, files={})).files == ()


def test_header_reads_back_what_the_client_sealed(world: World) -> None:
    out = io.BytesIO()
    info = seal_bid(
        lot_code=LOT,
        suite=world.suite,
        summary=SUMMARY,
        files={"a.pdf": b"a"},
        bidder_certificate_pem=world.bidder.certificate_pem,
        bidder_private_key=world.bidder.key,
        opening_public_key=world.opening_key.public_key,
        out=out,
        now=NOW,
    )
    stream = io.BytesIO(out.getvalue())
    header = read_envelope_header(stream)

    assert header == info.header
    assert header.created_at == NOW
    assert header.chunk_size == 1024 * 1024
    assert header.recipient("opening").key_fingerprint == world.opening_key.public_key.fingerprint
    assert info.envelope_size == len(out.getvalue())
    assert [item.name for item in info.files] == ["a.pdf"]
    verify_ciphertext(header, stream)  # what the server checks on submission, without any key


def test_five_megabyte_bid_opens_through_the_custodians_shares_in_several_chunks(
    world: World, five_megabytes: bytes, tmp_path: Path
) -> None:
    custodians = world.custodians
    setup = create_opening_key(world.suite, [party.certificate for party in custodians], 2)
    envelope = seal(
        world, files={"图纸/总图.dwg": five_megabytes, "报价.xlsx": b"xlsx"}, opening_public_key=setup.public_key
    )

    released = [decrypt_share(setup.shares[i], custodians[i].key) for i in (0, 2)]
    opening_key = recover_opening_key(setup, released)
    stream = io.BytesIO(envelope)
    header = read_envelope_header(stream)
    check_envelope_for_lot(header, lot_code=LOT, opening_public_key=setup.public_key)
    bid = open_bid(header, stream, unwrap_data_key(header, opening_key, "opening"), out_dir=tmp_path / "bid")

    assert header.chunk_count == 6
    assert (tmp_path / "bid" / "图纸" / "总图.dwg").read_bytes() == five_megabytes
    assert bid.file("报价.xlsx").path == tmp_path / "bid" / "报价.xlsx"
    assert bid.summary == SUMMARY


def test_verifying_keeps_no_plaintext_and_a_file_reads_back_from_the_ciphertext(
    world: World, five_megabytes: bytes
) -> None:
    envelope = seal(world, files={"图纸/总图.dwg": five_megabytes, "报价.xlsx": b"xlsx"}, chunk_size=1 << 20)
    stream = io.BytesIO(envelope)
    header = read_envelope_header(stream)
    data_key = unwrap_data_key(header, world.bidder.key, "bidder")
    start = stream.tell()

    verified = verify_bid(header, stream, data_key)
    assert [(f.name, f.size, f.content, f.path) for f in verified.files] == [
        ("图纸/总图.dwg", len(five_megabytes), None, None),
        ("报价.xlsx", 4, None, None),
    ]
    assert verified.file("图纸/总图.dwg").sha256 == hashlib.sha256(five_megabytes).hexdigest()
    assert verified.summary == SUMMARY

    def read(name: str, **changes: Any) -> bytes:
        stream.seek(start)
        item = verified.file(name)
        expected = BidFile(name=item.name, size=item.size, sha256=item.sha256)
        return b"".join(read_bid_file(header, stream, data_key, replace(expected, **changes)))

    assert read("图纸/总图.dwg") == five_megabytes
    assert read("报价.xlsx") == b"xlsx"
    with pytest.raises(EnvelopeInvalid, match="not in the bid"):
        read("报价.xlsx", sha256="0" * 64)
    with pytest.raises(DecryptionFailed):
        stream.seek(start)
        wrong_key = generate_data_key(world.suite)
        b"".join(read_bid_file(header, stream, wrong_key, BidFile("报价.xlsx", 4, hashlib.sha256(b"xlsx").hexdigest())))


def test_both_recipients_get_the_same_data_key(world: World) -> None:
    header = read_envelope_header(io.BytesIO(seal(world)))
    assert unwrap_data_key(header, world.bidder.key, "bidder") == unwrap_data_key(header, world.opening_key, "opening")


def test_files_can_be_given_as_paths(world: World, tmp_path: Path) -> None:
    (tmp_path / "tender.pdf").write_bytes(b"from disk" * 1000)
    bid = open_with_bidder_key(world, seal(world, files={"tender.pdf": tmp_path / "tender.pdf"}))
    assert bid.file("tender.pdf").content == b"from disk" * 1000


def test_stream_functions_round_trip_pieces_of_any_size(suite: Suite) -> None:
    key, prefix, aad = generate_data_key(suite), os.urandom(7), b"binding"
    pieces = [os.urandom(size) for size in (0, 1, 1023, 1024, 1025, 5000)]
    sealed = b"".join(
        seal_stream(pieces, suite=suite, data_key=key, nonce_prefix=prefix, associated_data=aad, chunk_size=1024)
    )
    opened = open_stream(
        io.BytesIO(sealed), suite=suite, data_key=key, nonce_prefix=prefix, associated_data=aad, chunk_size=1024
    )
    assert b"".join(opened) == b"".join(pieces)
    total = sum(map(len, pieces))
    assert len(sealed) == total + -(-total // 1024) * 16  # a 16-byte tag per chunk


# --- refusals at sealing ----------------------------------------------------------------------------------


def test_gm_certificate_cannot_seal_for_an_intl_lot(worlds: dict[Suite, World]) -> None:
    gm, intl = worlds[Suite.GM], worlds[Suite.INTL]
    with pytest.raises(EnvelopeInvalid, match="suites cannot be mixed"):
        seal(gm, opening_public_key=intl.opening_key.public_key)
    with pytest.raises(EnvelopeInvalid, match="suites cannot be mixed"):
        seal(intl, bidder=gm.bidder)


def test_sealing_refuses_a_private_key_that_is_not_the_certificates(world: World) -> None:
    impostor = Party(world.bidder.certificate, world.bidder.certificate_pem, world.rival.key)
    with pytest.raises(EnvelopeInvalid, match="not the certificate's"):
        seal(world, bidder=impostor)


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs.pdf", "a//b.pdf", "a\\b.pdf", "./a.pdf", "a\x00.pdf", ""])
def test_file_names_must_be_plain_relative_paths(worlds: dict[Suite, World], name: str) -> None:
    with pytest.raises(EnvelopeInvalid, match="bad file name"):
        seal(worlds[Suite.INTL], files={name: b"x"})


def test_summary_amounts_are_integers_not_floats(worlds: dict[Suite, World]) -> None:
    with pytest.raises(EnvelopeInvalid, match="summary values"):
        seal(worlds[Suite.INTL], summary={"price_fen": 12.5})


# --- the header and the outer signature -------------------------------------------------------------------


HEADER_CHANGES: dict[str, Callable[[Any], Any]] = {
    "lot_code": lambda value: value + "X",
    "created_at": lambda value: "2026-03-02T01:30:01Z",
    "chunk_size": lambda value: value // 2,
    "nonce_prefix": lambda value: base64.b64encode(b"\x00" * 7).decode(),
    "key_commitment": lambda value: base64.b64encode(b"\x00" * 32).decode(),
    "ciphertext_size": lambda value: value + 1,
    "ciphertext_sha256": lambda value: "0" * 64,
    "recipients": lambda value: [value[0], {**value[1], "wrapped_key": value[0]["wrapped_key"]}],
}


@pytest.mark.parametrize("field", sorted(HEADER_CHANGES))
def test_a_changed_header_field_breaks_the_outer_signature(world: World, field: str) -> None:
    document, ciphertext = split(seal(world))
    document[field] = HEADER_CHANGES[field](document[field])
    with pytest.raises(SignatureInvalid):
        read_envelope_header(io.BytesIO(join(document, ciphertext)))


def test_a_changed_outer_signature_is_refused(world: World) -> None:
    document, ciphertext = split(seal(world))
    signature = bytearray(base64.b64decode(document["signature"]))
    signature[len(signature) // 2] ^= 1
    document["signature"] = base64.b64encode(bytes(signature)).decode()
    with pytest.raises(SignatureInvalid):
        read_envelope_header(io.BytesIO(join(document, ciphertext)))


def test_another_certificate_in_the_header_is_refused(world: World) -> None:
    document, ciphertext = split(seal(world))
    document["bidder_certificate"] = world.rival.certificate.pem
    with pytest.raises(EnvelopeInvalid, match="bidder recipient is not the certificate's key"):
        read_envelope_header(io.BytesIO(join(document, ciphertext)))


def test_a_rival_cannot_resign_someone_elses_ciphertext_as_its_own(world: World) -> None:
    envelope = seal(world)
    data_key = unwrap_data_key(read_envelope_header(io.BytesIO(envelope)), world.bidder.key, "bidder")
    document, ciphertext = split(envelope)
    rival = world.rival.certificate.public_key
    document["bidder_certificate"] = world.rival.certificate.pem
    document["recipients"][0] = {
        "role": "bidder",
        "key_fingerprint": rival.fingerprint,
        "wrapped_key": base64.b64encode(wrap_key(rival, data_key)).decode(),
    }
    stolen = io.BytesIO(join(document, ciphertext, resign_with=world.rival.key))
    header = read_envelope_header(stolen)  # a well-formed envelope signed by the rival...
    with pytest.raises(DecryptionFailed):  # ...but every chunk is bound to the original header
        open_bid(header, stolen, data_key)


def test_suite_field_must_match_the_certificate(world: World) -> None:
    document, ciphertext = split(seal(world))
    document["suite"] = "intl" if world.suite is Suite.GM else "gm"
    with pytest.raises(EnvelopeInvalid, match="certificate in a"):
        read_envelope_header(io.BytesIO(join(document, ciphertext)))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda envelope: b"ggzy-sealed-bid/v2\n" + envelope[len(MAGIC) :],
        lambda envelope: envelope[: len(MAGIC) + 2],
        lambda envelope: envelope[: len(MAGIC) + 40],
        lambda envelope: MAGIC + (5).to_bytes(4, "big") + b"{nope" + envelope[len(MAGIC) + 4 :],
        lambda envelope: MAGIC + (0).to_bytes(4, "big") + envelope[len(MAGIC) + 4 :],
    ],
    ids=["wrong-magic", "no-length", "truncated-header", "not-json", "empty-header"],
)
def test_malformed_envelopes_are_refused(worlds: dict[Suite, World], mangle: Callable[[bytes], bytes]) -> None:
    with pytest.raises(EnvelopeInvalid):
        read_envelope_header(io.BytesIO(mangle(seal(worlds[Suite.GM]))))


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("format", "ggzy-sealed-bid/v0", "format"),
        ("chunk_size", 12, "chunk size"),
        ("created_at", "2026-03-02 01:30:00", "created_at"),
        ("nonce_prefix", "AAAA", "nonce prefix"),
        ("ciphertext_size", 1.5, "non-integer"),
        ("extra", 1, "missing or unknown"),
    ],
)
def test_malformed_header_fields_are_refused_even_when_signed(
    worlds: dict[Suite, World], field: str, value: object, reason: str
) -> None:
    world = worlds[Suite.INTL]
    document, ciphertext = split(seal(world))
    document[field] = value
    with pytest.raises(EnvelopeInvalid, match=reason):
        read_envelope_header(io.BytesIO(join(document, ciphertext, resign_with=world.bidder.key)))


def test_duplicate_json_keys_are_refused(worlds: dict[Suite, World]) -> None:
    document, ciphertext = split(seal(worlds[Suite.INTL]))
    header = canonical_json(document)[:-1] + b',"lot_code":"other"}'
    with pytest.raises(EnvelopeInvalid, match="duplicate key"):
        read_envelope_header(io.BytesIO(MAGIC + len(header).to_bytes(4, "big") + header + ciphertext))


def test_envelope_is_checked_against_the_lot(world: World, worlds: dict[Suite, World]) -> None:
    header = read_envelope_header(io.BytesIO(seal(world)))
    check_envelope_for_lot(header, lot_code=LOT, opening_public_key=world.opening_key.public_key)
    with pytest.raises(EnvelopeInvalid, match="for lot"):
        check_envelope_for_lot(header, lot_code="GGZY-2026-0002-01", opening_public_key=world.opening_key.public_key)
    with pytest.raises(EnvelopeInvalid, match="opening key"):
        check_envelope_for_lot(header, lot_code=LOT, opening_public_key=generate_exchange_key(world.suite).public_key)
    other = worlds[Suite.GM if world.suite is Suite.INTL else Suite.INTL]
    with pytest.raises(EnvelopeInvalid, match="lot"):
        check_envelope_for_lot(header, lot_code=LOT, opening_public_key=other.opening_key.public_key)


# --- the ciphertext ---------------------------------------------------------------------------------------


def _open_chunks(world: World, document: dict[str, Any], chunks: list[bytes]) -> None:
    open_with_bidder_key(world, join(document, b"".join(chunks)))


@pytest.fixture
def chunked(world: World) -> tuple[dict[str, Any], list[bytes]]:
    document, chunks = chunks_of(world, seal(world, files={"a.bin": os.urandom(20_000)}, chunk_size=SMALL_CHUNK))
    assert len(chunks) >= 5
    return document, chunks


@pytest.mark.parametrize("position", [0, 2, -1])
def test_a_changed_ciphertext_byte_fails_decryption(
    world: World, chunked: tuple[dict[str, Any], list[bytes]], position: int
) -> None:
    document, chunks = chunked
    changed = bytearray(chunks[position])
    changed[len(changed) // 2] ^= 0x80
    chunks[position] = bytes(changed)
    with pytest.raises(DecryptionFailed):
        _open_chunks(world, document, chunks)


CHUNK_ATTACKS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "dropped-middle": lambda chunks: chunks[:2] + chunks[3:],
    "dropped-last": lambda chunks: chunks[:-1],
    "dropped-first": lambda chunks: chunks[1:],
    "reordered": lambda chunks: [chunks[1], chunks[0], *chunks[2:]],
    "duplicated": lambda chunks: [*chunks[:3], chunks[2], *chunks[3:]],
    "duplicated-last": lambda chunks: [*chunks, chunks[-1]],
    "truncated": lambda chunks: [*chunks[:-1], chunks[-1][:-1]],
    "extended": lambda chunks: [*chunks, b"\x00" * 32],
    "empty": lambda chunks: [],
}


@pytest.mark.parametrize("attack", sorted(CHUNK_ATTACKS))
def test_dropped_reordered_repeated_or_truncated_chunks_fail_decryption(
    world: World, chunked: tuple[dict[str, Any], list[bytes]], attack: str
) -> None:
    document, chunks = chunked
    with pytest.raises(DecryptionFailed):
        _open_chunks(world, document, CHUNK_ATTACKS[attack](chunks))


def test_server_detects_a_ciphertext_that_is_not_the_signed_one(
    world: World, chunked: tuple[dict[str, Any], list[bytes]]
) -> None:
    document, chunks = chunked
    for ciphertext in (b"".join(chunks[:-1]), b"".join(chunks) + b"x", b"".join(reversed(chunks))):
        stream = io.BytesIO(join(document, ciphertext))
        header = read_envelope_header(stream)
        with pytest.raises(EnvelopeInvalid, match="ciphertext"):
            verify_ciphertext(header, stream)


def test_a_wrong_data_key_fails_decryption(world: World) -> None:
    stream = io.BytesIO(seal(world))
    header = read_envelope_header(stream)
    with pytest.raises(DecryptionFailed):
        open_bid(header, stream, generate_data_key(world.suite))
    with pytest.raises(DecryptionFailed):
        open_bid(header, stream, b"short")


def test_the_wrong_private_key_cannot_unwrap_the_data_key(world: World) -> None:
    header = read_envelope_header(io.BytesIO(seal(world)))
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(header, world.rival.key, "bidder")
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(header, generate_exchange_key(world.suite), "opening")


def test_a_data_key_wrapped_differently_for_the_opening_key_is_exposed(world: World) -> None:
    # A bidder that wraps another key to the opening key (to keep a second bid in reserve) signs a header that
    # commits to one data key; the custodians' path then reports the envelope, not a silent second bid.
    document, ciphertext = split(seal(world))
    document["recipients"][1]["wrapped_key"] = base64.b64encode(
        wrap_key(world.opening_key.public_key, generate_data_key(world.suite))
    ).decode()
    header = read_envelope_header(io.BytesIO(join(document, ciphertext, resign_with=world.bidder.key)))
    with pytest.raises(EnvelopeInvalid, match="not the committed data key"):
        unwrap_data_key(header, world.opening_key, "opening")


def test_the_inner_signature_must_cover_what_was_opened(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    honest_statement = envelope_package.inner_statement

    def statement_with_another_price(*, lot_code: str, summary: Any, files: Any) -> bytes:
        return honest_statement(lot_code=lot_code, summary={**summary, "price_fen": 1}, files=files)

    monkeypatch.setattr(envelope_package, "inner_statement", statement_with_another_price)
    envelope = seal(world)
    monkeypatch.setattr(envelope_package, "inner_statement", honest_statement)
    with pytest.raises(SignatureInvalid):
        open_with_bidder_key(world, envelope)


def test_a_failed_opening_leaves_nothing_in_the_output_directory(
    world: World, chunked: tuple[dict[str, Any], list[bytes]], tmp_path: Path
) -> None:
    document, chunks = chunked
    with pytest.raises(DecryptionFailed):
        open_with_bidder_key(world, join(document, b"".join(chunks[:-1])), out_dir=tmp_path)
    assert list(tmp_path.rglob("*.bin")) == []


# --- memory -----------------------------------------------------------------------------------------------


def _write_random_file(path: Path, megabytes: int) -> None:
    with path.open("wb") as target:
        for _ in range(megabytes):
            target.write(os.urandom(1024 * 1024))


def test_sealing_and_opening_50_megabytes_keeps_memory_flat(world: World, tmp_path: Path) -> None:
    source = tmp_path / "bid.bin"
    _write_random_file(source, 50)
    envelope_path = tmp_path / "bid.ggzy"

    tracemalloc.start()
    try:
        with envelope_path.open("wb") as out:
            seal_bid(
                lot_code=LOT,
                suite=world.suite,
                summary=SUMMARY,
                files={"bid.bin": source},
                bidder_certificate_pem=world.bidder.certificate_pem,
                bidder_private_key=world.bidder.key,
                opening_public_key=world.opening_key.public_key,
                out=out,
                now=NOW,
            )
        _, sealing_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with envelope_path.open("rb") as stream:
            header = read_envelope_header(stream)
            bid = open_bid(header, stream, unwrap_data_key(header, world.bidder.key, "bidder"), out_dir=tmp_path / "o")
        _, opening_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert bid.file("bid.bin").size == 50 * 1024 * 1024
    assert sealing_peak < 10 * 1024 * 1024
    assert opening_peak < 10 * 1024 * 1024


# --- the documented format --------------------------------------------------------------------------------


def test_an_envelope_built_from_docs_envelope_md_alone_is_accepted(world: World) -> None:
    """What another bid-preparation tool does, step by step (docs/envelope.md §7), with no help from seal_bid."""
    suite, bidder = world.suite, world.bidder
    files = {"b.pdf": b"second", "a.pdf": b"first"}
    manifest = [
        {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in sorted(files.items())
    ]
    statement = canonical_json({"lot": LOT, "summary": SUMMARY, "files": manifest})
    package = io.BytesIO()
    with tarfile.open(fileobj=package, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in [
            ("bid.json", canonical_json(SUMMARY)),
            *((f"files/{name}", content) for name, content in sorted(files.items())),
            ("bid.sig", bidder.key.sign(statement)),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))

    data_key, prefix = os.urandom(data_key_size(suite)), os.urandom(7)
    sealing = {
        "format": "ggzy-sealed-bid/v1",
        "suite": str(suite),
        "lot_code": LOT,
        "bidder_certificate": bidder.certificate_pem,
        "recipients": [
            {
                "role": role,
                "key_fingerprint": key.fingerprint,
                "wrapped_key": b64(wrap_key(key, data_key)),
            }
            for role, key in (("bidder", bidder.certificate.public_key), ("opening", world.opening_key.public_key))
        ],
        "chunk_size": 1024,
        "nonce_prefix": b64(prefix),
        "key_commitment": b64(digest(suite, b"ggzy-sealed-bid/v1 key commitment\x00" + data_key)),
        "created_at": "2026-03-02T09:30:00Z",
    }
    ciphertext = b"".join(
        seal_stream(
            [package.getvalue()],
            suite=suite,
            data_key=data_key,
            nonce_prefix=prefix,
            associated_data=digest(suite, canonical_json(sealing)),
            chunk_size=1024,
        )
    )
    signed = {
        **sealing,
        "ciphertext_size": len(ciphertext),
        "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
    }
    bid = open_with_bidder_key(world, join(signed, ciphertext, resign_with=bidder.key))

    assert bid.summary == SUMMARY
    assert [(item.name, item.content) for item in bid.files] == [("a.pdf", b"first"), ("b.pdf", b"second")]
