"""Signed notes, checkpoints and cosignatures (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature)."""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.core.clock import FixedClock
from ggzy.crypto import Suite, generate_signing_key
from ggzy.ledger.note import (
    MAX_SIGNATURES,
    SM2_SIGNATURE_TYPE,
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    NoteError,
    NoteSignature,
    Sm2NoteSigner,
    Sm2NoteVerifier,
    add_signatures,
    compute_key_id,
    cosignature_message,
    cosignature_timestamp,
    format_verifier_key,
    generate_cosignature_signer,
    generate_ed25519_signer,
    generate_sm2_signer,
    open_note,
    parse_checkpoint,
    parse_signature_line,
    parse_verifier_key,
    sign_note,
    signature_line,
)

# Known answers published with the reference implementation of signed notes (golang.org/x/mod/sumdb/note, whose
# format c2sp.org/signed-note specifies): a verifier key, its signer key (0x01 ‖ Ed25519 seed) and a signed note.
PETER_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SIGNER_KEY_DATA = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_NOTE = (
    PETER_TEXT + "\n"
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# The example checkpoint and its witness cosignature from c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature.
SPEC_CHECKPOINT_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_LINE = (
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_WITNESS_LINE = (
    "— witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_SIGNED_CHECKPOINT = SPEC_CHECKPOINT_BODY + "\n" + SPEC_LOG_LINE + SPEC_WITNESS_LINE

ORIGIN = "ggzy.example/ledger"
ROOT = hashlib.sha256(b"a root").digest()
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def peter_signer() -> Ed25519NoteSigner:
    seed = base64.b64decode(PETER_SIGNER_KEY_DATA)[1:]
    return Ed25519NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def make_checkpoint(*, size: int = 42, root_hash: bytes = ROOT, extensions: tuple[str, ...] = ()) -> Checkpoint:
    return Checkpoint(ORIGIN, size, root_hash, extensions)


def make_cosigner(name: str = "witness.example/w1", *, at: int = NOW) -> CosignatureSigner:
    return CosignatureSigner(name, Ed25519PrivateKey.generate(), clock=FixedClock(datetime.fromtimestamp(at, UTC)))


@pytest.fixture(scope="module")
def sm2_signer() -> Sm2NoteSigner:
    return Sm2NoteSigner(ORIGIN, generate_signing_key(Suite.GM))


# --- known answers ----------------------------------------------------------------------------------------


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    private_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = raw_public_key(private_key)
    by_hand = hashlib.sha256(b"ggzy.example/ledger" + b"\x0a" + b"\x01" + public).digest()[:4]
    cosign_by_hand = hashlib.sha256(b"ggzy.example/ledger" + b"\x0a" + b"\x04" + public).digest()[:4]

    assert Ed25519NoteSigner(ORIGIN, private_key).key_id == int.from_bytes(by_hand, "big")
    assert CosignatureSigner(ORIGIN, private_key).key_id == int.from_bytes(cosign_by_hand, "big")
    assert compute_key_id(ORIGIN, b"\x01", public).to_bytes(4, "big") == by_hand


def test_reference_verifier_key_has_the_key_id_the_formula_gives() -> None:
    key_data = base64.b64decode(PETER_VERIFIER_KEY.split("+", 2)[2])
    assert key_data[0] == 0x01
    by_hand = hashlib.sha256(b"PeterNeumann\n" + key_data).digest()[:4]
    assert by_hand.hex() == "c74f20a3"

    verifier = parse_verifier_key(PETER_VERIFIER_KEY)
    assert isinstance(verifier, Ed25519NoteVerifier)
    assert (verifier.name, verifier.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert format_verifier_key(verifier) == PETER_VERIFIER_KEY


def test_reference_note_opens_with_the_reference_verifier_key() -> None:
    note = open_note(PETER_NOTE, [parse_verifier_key(PETER_VERIFIER_KEY)])
    assert note.body == PETER_TEXT
    assert [(s.name, s.key_id) for s in note.verified_signatures] == [("PeterNeumann", 0xC74F20A3)]


def test_ed25519_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = peter_signer()
    assert signer.verifier_key == PETER_VERIFIER_KEY
    assert sign_note(PETER_TEXT, [signer]) == PETER_NOTE


def test_spec_example_checkpoint_parses_and_serializes_back() -> None:
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT_BODY)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.body() == SPEC_CHECKPOINT_BODY


def test_spec_example_cosignature_carries_the_timestamp_of_the_spec_message() -> None:
    witness = parse_signature_line(SPEC_WITNESS_LINE)
    assert witness.name == "witness.example.com/w1"
    assert len(witness.signature) == 8 + 64
    assert cosignature_timestamp(witness) == 1679315147  # the "time 1679315147" line of the spec's message


def test_spec_example_signed_checkpoint_is_rejected_without_a_known_key() -> None:
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(SPEC_SIGNED_CHECKPOINT, [parse_verifier_key(PETER_VERIFIER_KEY)])


def test_cosignature_message_layout_matches_the_spec() -> None:
    assert cosignature_message(SPEC_CHECKPOINT_BODY.encode(), 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n"
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


# --- round trips ------------------------------------------------------------------------------------------


def test_ed25519_round_trip() -> None:
    signer, verifier_key = generate_ed25519_signer(ORIGIN)
    body = make_checkpoint().body()
    note = open_note(sign_note(body, [signer]), [parse_verifier_key(verifier_key)])
    assert note.body == body
    assert note.verifiers == (signer.verifier,)
    assert parse_checkpoint(note.body) == make_checkpoint()


def test_sm2_round_trip(sm2_signer: Sm2NoteSigner) -> None:
    body = make_checkpoint().body()
    text = sign_note(body, [sm2_signer])
    note = open_note(text, [parse_verifier_key(sm2_signer.verifier_key)])
    assert note.body == body
    assert isinstance(note.verifiers[0], Sm2NoteVerifier)
    # The SM2 signature is the DER signature of ggzy.crypto over the very note text.
    sm2_signer.verifier.public_key.verify(body.encode(), note.signatures[0].signature)


def test_sm2_key_id_and_verifier_key_use_the_ggzy_type_prefix(sm2_signer: Sm2NoteSigner) -> None:
    assert SM2_SIGNATURE_TYPE == b"\xff" + b"ggzy/sm2-sm3/v1" + b"\n"
    spki = sm2_signer.verifier.public_key.to_der()
    by_hand = hashlib.sha256(ORIGIN.encode() + b"\n" + b"\xffggzy/sm2-sm3/v1\n" + spki).digest()[:4]
    assert sm2_signer.key_id.to_bytes(4, "big") == by_hand
    name, hex_id, key_data = sm2_signer.verifier_key.split("+", 2)
    assert (name, hex_id) == (ORIGIN, by_hand.hex())
    assert base64.b64decode(key_data) == b"\xffggzy/sm2-sm3/v1\n" + spki


def test_generated_sm2_key_round_trips() -> None:
    signer, verifier_key = generate_sm2_signer("ggzy.example/gm")
    assert open_note(sign_note("hello\n", [signer]), [parse_verifier_key(verifier_key)]).body == "hello\n"


def test_platform_signs_with_ed25519_and_sm2_and_each_verifier_alone_accepts(sm2_signer: Sm2NoteSigner) -> None:
    ed25519, _ = generate_ed25519_signer(ORIGIN)
    text = sign_note(make_checkpoint().body(), [ed25519, sm2_signer])
    only_ed25519 = open_note(text, [ed25519.verifier])
    only_sm2 = open_note(text, [sm2_signer.verifier])
    both = open_note(text, [sm2_signer.verifier, ed25519.verifier])
    assert only_ed25519.unverified_signatures[0].name == ORIGIN  # same name, other key ID: ignored
    assert only_sm2.verifiers == (sm2_signer.verifier,)
    assert both.verifiers == (ed25519.verifier, sm2_signer.verifier)  # in line order


def test_cosignature_round_trip_and_timestamp_read_back() -> None:
    cosigner, verifier_key = generate_cosignature_signer(
        "witness.example/w1", clock=FixedClock(datetime.fromtimestamp(NOW, UTC))
    )
    body = make_checkpoint().body()
    note = open_note(sign_note(body, [cosigner]), [parse_verifier_key(verifier_key)])
    assert isinstance(note.verifiers[0], CosignatureVerifier)
    assert cosignature_timestamp(note.signatures[0]) == NOW


def test_cosignature_payload_is_timestamp_then_ed25519_signature_over_the_spec_message() -> None:
    private_key = Ed25519PrivateKey.generate()
    clock = FixedClock(datetime.fromtimestamp(NOW, UTC))
    cosigner = CosignatureSigner("witness.example/w1", private_key, clock=clock)
    body = make_checkpoint().body()
    line = signature_line(body, cosigner)
    payload = base64.b64decode(line.removeprefix("— witness.example/w1 "))
    assert len(payload) == 4 + 8 + 64
    assert payload[:4] == cosigner.key_id.to_bytes(4, "big")
    assert int.from_bytes(payload[4:12], "big") == NOW
    message = b"cosignature/v1\n" + b"time " + str(NOW).encode() + b"\n" + body.encode()
    private_key.public_key().verify(payload[12:], message)  # raises if the layout differs


def test_explicit_timestamp_overrides_the_clock() -> None:
    cosigner = make_cosigner()
    body = make_checkpoint().body()
    signature = NoteSignature(cosigner.name, cosigner.key_id, cosigner.sign(body.encode(), timestamp=123))
    assert cosignature_timestamp(signature) == 123
    assert cosigner.verifier.verify(body.encode(), signature.signature)


def test_cosignature_over_a_different_checkpoint_fails() -> None:
    cosigner = make_cosigner()
    cosigned = sign_note(make_checkpoint(size=42).body(), [cosigner])
    other_body = make_checkpoint(size=43).body()
    forged = other_body + "\n" + cosigned.split("\n\n", 1)[1]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, [cosigner.verifier])


def test_cosignature_with_a_changed_timestamp_fails() -> None:
    cosigner = make_cosigner()
    body = make_checkpoint().body()
    signature = cosigner.sign(body.encode())
    moved = (NOW + 1).to_bytes(8, "big") + signature[8:]
    assert not cosigner.verifier.verify(body.encode(), moved)


def test_cosigner_refuses_a_body_that_is_not_a_checkpoint() -> None:
    with pytest.raises(NoteError, match="checkpoint"):
        make_cosigner().sign(b"just a note\n")


def test_cosignature_is_not_an_ed25519_note_signature_of_the_same_key() -> None:
    private_key = Ed25519PrivateKey.generate()
    cosigner = CosignatureSigner("w", private_key)
    plain = Ed25519NoteSigner("w", private_key)
    assert cosigner.key_id != plain.key_id
    text = sign_note(make_checkpoint().body(), [cosigner])
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(text, [plain.verifier])


# --- tampering --------------------------------------------------------------------------------------------


def _tampered_variants(text: str, start: int, end: int) -> list[str]:
    """Each character in text[start:end] replaced by a different character that keeps the note well-formed."""
    variants = []
    for index in range(start, end):
        original = text[index]
        replacement = "A" if original != "A" else "B"
        if original == "\n":
            replacement = "x"
        variants.append(text[:index] + replacement + text[index + 1 :])
    return variants


@pytest.mark.parametrize("kind", ["ed25519", "sm2", "cosignature"])
def test_changing_any_byte_of_body_or_signature_fails(kind: str, sm2_signer: Sm2NoteSigner) -> None:
    signer = {"ed25519": generate_ed25519_signer(ORIGIN)[0], "sm2": sm2_signer, "cosignature": make_cosigner()}[kind]
    body = make_checkpoint(extensions=("extension",)).body()
    text = sign_note(body, [signer])
    base64_start = text.rindex(" ") + 1
    positions = [*range(len(body)), *range(base64_start, len(text) - 1)]
    for index in positions:
        for variant in _tampered_variants(text, index, index + 1):
            with pytest.raises(NoteError):
                open_note(variant, [signer.verifier])


def test_a_flipped_bit_in_the_signature_bytes_fails() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    body = make_checkpoint().body()
    signature = signer.sign(body.encode())
    for bit in range(len(signature) * 8):
        flipped = bytearray(signature)
        flipped[bit // 8] ^= 1 << (bit % 8)
        line = NoteSignature(signer.name, signer.key_id, bytes(flipped)).line()
        with pytest.raises(NoteError, match="does not verify"):
            open_note(body + "\n" + line, [signer.verifier])


def test_a_note_with_only_unknown_signatures_fails() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    stranger, _ = generate_ed25519_signer(ORIGIN)  # same name, different key
    text = sign_note(make_checkpoint().body(), [signer])
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(text, [stranger.verifier])
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(text, [])


def test_unknown_signatures_are_ignored_beside_a_known_one() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    text = add_signatures(sign_note(make_checkpoint().body(), [signer]), [SPEC_WITNESS_LINE, SPEC_WITNESS_LINE])
    note = open_note(text, [signer.verifier])
    assert [s.name for s in note.unverified_signatures] == ["witness.example.com/w1"]
    assert note.verified_signatures[0].name == ORIGIN


def test_a_known_key_signing_twice_is_rejected() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    body = make_checkpoint().body()
    line = signature_line(body, signer)
    with pytest.raises(NoteError, match="two signatures"):
        open_note(body + "\n" + line + line, [signer.verifier])


# --- malformed notes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no blank line\n— a AAAAAAA=\n", "no empty line"),
        ("body\n\n", "no signatures"),
        ("body\n\n— a AAAAAAA=", "does not end with a newline"),
        ("body\n\n- a AAAAAAA=\n", "em dash"),
        ("body\n\n— a\n", "signature line is"),
        ("body\n\n— a+b AAAAAAA=\n", "plus sign"),
        ("body\n\n— a AAAA\n", "too short"),
        ("body\n\n— a AAAAAAA\n", "not valid base64"),
        ("body\n\n— a AAAAAAB=\n", "not canonical"),
        ("bo\tdy\n\n— a AAAAAAA=\n", "control character"),
        ("body\n\n— a AAAAAAA=\n\n", "no signatures"),  # the last empty line separates
    ],
)
def test_malformed_notes_are_rejected_with_a_reason(text: str, reason: str) -> None:
    signer, _ = generate_ed25519_signer("a")
    with pytest.raises(NoteError, match=reason):
        open_note(text, [signer.verifier])


def test_more_than_100_signatures_are_rejected() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    body = make_checkpoint().body()
    own = signature_line(body, signer)
    strangers = [NoteSignature(f"w{i}", i, b"\x00" * 64).line() for i in range(MAX_SIGNATURES)]
    assert open_note(body + "\n" + own + "".join(strangers[:-1]), [signer.verifier]).verifiers
    with pytest.raises(NoteError, match="at most 100"):
        open_note(body + "\n" + own + "".join(strangers), [signer.verifier])
    with pytest.raises(NoteError, match="at most 100"):
        add_signatures(body + "\n" + own, strangers)


def test_signing_refuses_a_body_without_final_newline_or_with_control_characters() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    with pytest.raises(NoteError, match="does not end with a newline"):
        sign_note("no newline", [signer])
    with pytest.raises(NoteError, match="control character"):
        sign_note("bell\a\n", [signer])
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("text\n", [])
    with pytest.raises(NoteError, match="share a key name"):
        sign_note("text\n", [signer, signer])


def test_body_may_contain_empty_lines_and_lines_that_look_like_signatures() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    body = "first\n\n— fake AAAAAAA=\n\n"
    assert open_note(sign_note(body, [signer]), [signer.verifier]).body == body


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "ideographic\u3000space"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        Ed25519NoteSigner(name, Ed25519PrivateKey.generate())


def test_two_different_verifiers_with_the_same_name_and_id_are_ambiguous() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    impostor = Ed25519NoteVerifier(ORIGIN, Ed25519PrivateKey.generate().public_key())
    impostor.key_id = signer.key_id  # type: ignore[misc]  # a collision the 32-bit ID makes possible
    with pytest.raises(NoteError, match="share the name and key ID"):
        open_note(sign_note("x\n", [signer]), [signer.verifier, impostor])


# --- verifier keys ----------------------------------------------------------------------------------------


def test_verifier_key_round_trip_for_each_type(sm2_signer: Sm2NoteSigner) -> None:
    for signer in (generate_ed25519_signer("a.example/k")[0], make_cosigner(), sm2_signer):
        text = format_verifier_key(signer)
        parsed = parse_verifier_key(text)
        assert parsed == signer.verifier
        assert type(parsed) is type(signer.verifier)
        assert (parsed.name, parsed.key_id) == (signer.name, signer.key_id)
        assert format_verifier_key(parsed) == text


def test_verifier_key_of_a_cosigner_uses_type_0x04() -> None:
    cosigner = make_cosigner("witness.example/w1")
    name, hex_id, key_data = cosigner.verifier_key.split("+", 2)
    assert name == "witness.example/w1"
    assert base64.b64decode(key_data)[0] == 0x04
    assert hex_id == f"{cosigner.key_id:08x}"


def test_mangled_verifier_keys_are_refused() -> None:
    mangled = [
        PETER_VERIFIER_KEY.replace("c74f20a3", "c74f20a4"),  # wrong key ID
        PETER_VERIFIER_KEY.replace("c74f20a3", "c74f20a"),  # short key ID
        PETER_VERIFIER_KEY.replace("PeterNeumann", "Peter Neumann"),
        PETER_VERIFIER_KEY.replace("PeterNeumann", "PeterNeumann2"),  # the key ID commits to the name
        PETER_VERIFIER_KEY.replace("+ARpc", "+Bhpc"),  # unknown type byte
        PETER_VERIFIER_KEY[:-1],  # truncated base64
        "PeterNeumann+c74f20a3",
        "",
    ]
    for text in mangled:
        with pytest.raises(NoteError):
            parse_verifier_key(text)
    # Every single-character change is refused as well.
    for index in range(len(PETER_VERIFIER_KEY)):
        changed = PETER_VERIFIER_KEY[:index] + chr(ord(PETER_VERIFIER_KEY[index]) + 1) + PETER_VERIFIER_KEY[index + 1 :]
        with pytest.raises(NoteError):
            parse_verifier_key(changed)


def test_sm2_verifier_refuses_a_non_sm2_key() -> None:
    with pytest.raises(NoteError, match="SM2"):
        Sm2NoteSigner("x", generate_signing_key(Suite.INTL))


# --- merging cosignatures ---------------------------------------------------------------------------------


def test_add_signatures_merges_cosignatures_and_the_result_verifies() -> None:
    log, _ = generate_ed25519_signer(ORIGIN)
    witnesses = [make_cosigner(f"witness.example/w{i}", at=NOW + i) for i in range(3)]
    body = make_checkpoint().body()
    served = sign_note(body, [log])
    merged = add_signatures(served, [signature_line(body, witness) for witness in witnesses])
    note = open_note(merged, [log.verifier, *(witness.verifier for witness in witnesses)])
    assert [s.name for s in note.signatures] == [ORIGIN, *(w.name for w in witnesses)]
    assert [cosignature_timestamp(s) for s in note.signatures[1:]] == [NOW, NOW + 1, NOW + 2]


def test_add_signatures_keeps_the_first_signature_per_name_and_key_id() -> None:
    log, _ = generate_ed25519_signer(ORIGIN)
    witness = make_cosigner()
    body = make_checkpoint().body()
    first = signature_line(body, witness)
    later = NoteSignature(witness.name, witness.key_id, witness.sign(body.encode(), timestamp=NOW + 60)).line()
    merged = add_signatures(add_signatures(sign_note(body, [log]), [first]), [later, first])
    assert merged == sign_note(body, [log]) + first
    assert cosignature_timestamp(open_note(merged, [witness.verifier]).signatures[1]) == NOW


def test_add_signatures_refuses_a_malformed_line() -> None:
    log, _ = generate_ed25519_signer(ORIGIN)
    with pytest.raises(NoteError, match="em dash"):
        add_signatures(sign_note("x\n", [log]), ["-- w AAAAAAA="])


def test_cosignature_timestamp_refuses_a_signature_of_another_type() -> None:
    signer, _ = generate_ed25519_signer(ORIGIN)
    note = open_note(sign_note("x\n", [signer]), [signer.verifier])
    with pytest.raises(NoteError, match="not a cosignature"):
        cosignature_timestamp(note.signatures[0])


# --- checkpoints ------------------------------------------------------------------------------------------


def test_checkpoint_with_extension_lines_round_trips() -> None:
    checkpoint = make_checkpoint(size=0, extensions=("ext one", "— ext two"))
    assert checkpoint.body() == f"{ORIGIN}\n0\n{base64.b64encode(ROOT).decode()}\next one\n— ext two\n"
    assert parse_checkpoint(checkpoint.body()) == checkpoint


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"{ORIGIN}\n42\n", "at least three lines"),
        (f"{ORIGIN}\n042\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n00\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n", "decimal"),
        (f"{ORIGIN}\n+1\n{base64.b64encode(ROOT).decode()}\n", "decimal"),
        (f"{ORIGIN}\n１\n{base64.b64encode(ROOT).decode()}\n", "decimal"),  # full-width digit
        (f"{ORIGIN}\n 1\n{base64.b64encode(ROOT).decode()}\n", "decimal"),
        (f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n", "2\\^64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode().rstrip('=')}\n", "base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}", "newline"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n", "extension line is empty"),
        (f"\n1\n{base64.b64encode(ROOT).decode()}\n", "origin is empty"),
    ],
)
def test_malformed_checkpoints_are_rejected(body: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint(body)


def test_checkpoint_constructor_enforces_the_same_rules() -> None:
    with pytest.raises(NoteError, match="32 bytes"):
        Checkpoint(ORIGIN, 1, b"short")
    with pytest.raises(NoteError, match="tree size"):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(NoteError, match="newline"):
        Checkpoint("two\nlines", 1, ROOT)
    with pytest.raises(NoteError, match="empty"):
        Checkpoint(ORIGIN, 1, ROOT, ("",))


# --- properties -------------------------------------------------------------------------------------------

_line_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n", min_codepoint=0x20), min_size=1)


@settings(max_examples=150, deadline=None)
@given(
    origin=_line_text,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line_text, max_size=3).map(tuple),
    timestamp=st.integers(min_value=0, max_value=2**63 - 1),
)
def test_any_checkpoint_round_trips_through_signing_and_cosigning(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...], timestamp: int
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    log = peter_signer()
    witness = CosignatureSigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
    served = sign_note(checkpoint.body(), [log])
    cosigned = NoteSignature(
        witness.name, witness.key_id, witness.sign(checkpoint.body().encode(), timestamp=timestamp)
    )
    note = open_note(add_signatures(served, [cosigned.line()]), [log.verifier, witness.verifier])
    assert parse_checkpoint(note.body) == checkpoint
    assert cosignature_timestamp(note.signatures[1]) == timestamp


@settings(max_examples=20, deadline=None)
@given(
    origin=_line_text,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_any_checkpoint_round_trips_through_sm2(origin: str, size: int, root: bytes) -> None:
    signer, verifier_key = _property_sm2_signer()
    checkpoint = Checkpoint(origin, size, root)
    note = open_note(sign_note(checkpoint.body(), [signer]), [parse_verifier_key(verifier_key)])
    assert parse_checkpoint(note.body) == checkpoint


@functools.cache
def _property_sm2_signer() -> tuple[Sm2NoteSigner, str]:
    return generate_sm2_signer("ggzy.example/property")
