"""The lot's opening key, held k-of-n by custodians of different entities (DESIGN §6)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys

from ggzy.core.errors import InvalidInput
from ggzy.crypto import (
    Certificate,
    DecryptionFailed,
    OpeningKeySetup,
    PrivateKey,
    ReleasedShare,
    ShareRecoveryFailed,
    Suite,
    create_opening_key,
    decrypt_share,
    generate_signing_key,
    load_private_key_pem,
    recover_opening_key,
)
from ggzy.crypto import sharing as sharing_module
from ggzy.demo import demo_credit_code
from tests.crypto.factories import issue_entity, make_ca


@dataclass(frozen=True)
class Custodian:
    certificate: Certificate
    key: PrivateKey


@pytest.fixture(scope="module")
def custodians_by_suite(tmp_path_factory: pytest.TempPathFactory) -> dict[Suite, list[Custodian]]:
    result = {}
    for suite in Suite:
        ca = tmp_path_factory.mktemp(f"ca-{suite}")
        make_ca(ca, suite)
        custodians = []
        for number in range(5):
            issued = issue_entity(
                ca, name=f"保管单位{number}", credit_code=demo_credit_code("530100", f"MA6K8H{number:03d}")
            )
            custodians.append(Custodian(issued.certificate, load_private_key_pem(issued.private_key_pem)))
        result[suite] = custodians
    return result


@pytest.fixture
def custodians(custodians_by_suite: dict[Suite, list[Custodian]], suite: Suite) -> list[Custodian]:
    return custodians_by_suite[suite]


def setup_for(suite: Suite, custodians: list[Custodian], k: int, n: int) -> OpeningKeySetup:
    return create_opening_key(suite, [custodian.certificate for custodian in custodians[:n]], k)


def release_all(setup: OpeningKeySetup, custodians: list[Custodian]) -> list[ReleasedShare]:
    return [decrypt_share(share, custodian.key) for share, custodian in zip(setup.shares, custodians, strict=False)]


@pytest.mark.parametrize(("k", "n"), [(2, 3), (3, 5)])
def test_any_k_custodians_recover_the_opening_key(suite: Suite, custodians: list[Custodian], k: int, n: int) -> None:
    setup = setup_for(suite, custodians, k, n)
    released = release_all(setup, custodians)

    assert [share.index for share in setup.shares] == list(range(1, n + 1))
    assert setup.threshold == k
    for subset in itertools.combinations(released, k):
        recovered = recover_opening_key(setup, subset)
        assert recovered.public_key == setup.public_key
        assert recovered.suite is suite


def test_more_than_k_shares_also_recover(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 3, 5)
    assert recover_opening_key(setup, release_all(setup, custodians)).public_key == setup.public_key


@pytest.mark.parametrize(("k", "n"), [(2, 3), (3, 5)])
def test_fewer_than_k_shares_are_refused_before_combining(
    suite: Suite, custodians: list[Custodian], k: int, n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = setup_for(suite, custodians, k, n)
    released = release_all(setup, custodians)

    def combine_must_not_be_called(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("combined with too few shares")

    monkeypatch.setattr(sharing_module.Shamir, "combine", combine_must_not_be_called)
    for subset in itertools.combinations(released, k - 1):
        with pytest.raises(ShareRecoveryFailed, match=f"{k} shares are needed"):
            recover_opening_key(setup, subset)


def test_a_share_given_twice_is_refused(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    first = decrypt_share(setup.shares[0], custodians[0].key)
    with pytest.raises(ShareRecoveryFailed, match="twice"):
        recover_opening_key(setup, [first, first])


def test_an_altered_share_fails_recovery(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    first, second, _ = release_all(setup, custodians)
    altered = ReleasedShare(index=second.index, value=bytes([second.value[0] ^ 1]) + second.value[1:])
    with pytest.raises(ShareRecoveryFailed, match="wrong"):
        recover_opening_key(setup, [first, altered])


def test_one_wrong_share_among_more_than_k_does_not_block_the_opening(
    suite: Suite, custodians: list[Custodian]
) -> None:
    """k of n: a custodian that releases a wrong share (the lowest index, tried first) cannot stop the others —
    any k right shares among those released open the key; k right ones are still needed."""
    setup = setup_for(suite, custodians, 2, 3)
    first, second, third = release_all(setup, custodians)
    wrong = ReleasedShare(index=first.index, value=bytes(16))
    assert recover_opening_key(setup, [wrong, second, third]).public_key == setup.public_key
    with pytest.raises(ShareRecoveryFailed, match="wrong"):
        recover_opening_key(setup, [wrong, second])


def test_a_share_of_another_lot_fails_recovery(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    other_lot = setup_for(suite, custodians, 2, 3)
    first = decrypt_share(setup.shares[0], custodians[0].key)
    foreign = decrypt_share(other_lot.shares[1], custodians[1].key)
    with pytest.raises(ShareRecoveryFailed, match="wrong"):
        recover_opening_key(setup, [first, foreign])


def test_a_share_under_the_wrong_index_fails_recovery(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    first, second, _ = release_all(setup, custodians)
    with pytest.raises(ShareRecoveryFailed):
        recover_opening_key(setup, [first, ReleasedShare(index=3, value=second.value)])
    with pytest.raises(ShareRecoveryFailed, match="not issued"):
        recover_opening_key(setup, [first, ReleasedShare(index=9, value=second.value)])


def test_a_share_cannot_be_decrypted_with_another_custodians_key(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    with pytest.raises(DecryptionFailed):
        decrypt_share(setup.shares[0], custodians[1].key)
    # even when the record is relabelled with the other custodian's fingerprint
    relabelled = replace(setup.shares[0], custodian_fingerprint=custodians[1].key.public_key.fingerprint)
    with pytest.raises(DecryptionFailed):
        decrypt_share(relabelled, custodians[1].key)


def test_a_share_record_with_a_changed_index_is_caught(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    with pytest.raises(ShareRecoveryFailed, match="altered"):
        decrypt_share(replace(setup.shares[0], index=2), custodians[0].key)


def test_custodians_may_be_given_as_bare_public_keys(suite: Suite) -> None:
    keys = [generate_signing_key(suite) for _ in range(3)]
    setup = create_opening_key(suite, [key.public_key for key in keys], 2)
    released = [decrypt_share(share, key) for share, key in zip(setup.shares[1:], keys[1:], strict=True)]
    assert recover_opening_key(setup, released).public_key == setup.public_key


@pytest.mark.parametrize(("k", "n"), [(1, 3), (0, 3), (4, 3), (2, 1)])
def test_threshold_is_at_least_two_and_at_most_the_custodians(
    custodians_by_suite: dict[Suite, list[Custodian]], k: int, n: int
) -> None:
    with pytest.raises(InvalidInput, match="k ≤ n"):
        setup_for(Suite.GM, custodians_by_suite[Suite.GM], k, n)


def test_custodians_must_be_distinct_keys_and_entities(
    custodians_by_suite: dict[Suite, list[Custodian]], tmp_path: Path
) -> None:
    gm = custodians_by_suite[Suite.GM]
    with pytest.raises(InvalidInput, match="named twice"):
        create_opening_key(Suite.GM, [gm[0].certificate, gm[1].certificate, gm[0].certificate.public_key], 2)
    make_ca(tmp_path / "ca", Suite.GM)
    same_entity = issue_entity(tmp_path / "ca", name="保管单位0 分部", credit_code=gm[0].certificate.credit_code or "")
    with pytest.raises(InvalidInput, match="two custodians of entity"):
        create_opening_key(Suite.GM, [gm[0].certificate, gm[1].certificate, same_entity.certificate], 2)


def test_custodians_must_hold_keys_of_the_lots_suite(custodians_by_suite: dict[Suite, list[Custodian]]) -> None:
    mixed = [custodians_by_suite[Suite.GM][0].certificate, custodians_by_suite[Suite.INTL][1].certificate]
    with pytest.raises(InvalidInput, match="the lot is gm"):
        create_opening_key(Suite.GM, mixed, 2)


def _raw_secret(private_key: PrivateKey) -> bytes:
    info = asn1_keys.PrivateKeyInfo.load(private_key.to_der())
    if private_key.suite is Suite.GM:
        return int(info["private_key"].parsed["private_key"].native).to_bytes(32, "big")
    return bytes(info["private_key"].parsed.native)  # X25519: CurvePrivateKey OCTET STRING


def test_neither_the_kek_nor_the_private_key_is_kept(
    suite: Suite, custodians: list[Custodian], monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets: list[bytes] = []
    real_split = sharing_module.Shamir.split
    real_generate = sharing_module.generate_exchange_key

    def spying_split(k: int, n: int, secret: bytes, ssss: bool = False) -> list[tuple[int, bytes]]:
        secrets.append(secret)
        return real_split(k, n, secret, ssss=ssss)

    def spying_generate(key_suite: Suite) -> PrivateKey:
        key = real_generate(key_suite)
        secrets.extend([key.to_der(), _raw_secret(key)])
        return key

    monkeypatch.setattr(sharing_module.Shamir, "split", spying_split)
    monkeypatch.setattr(sharing_module, "generate_exchange_key", spying_generate)
    setup = setup_for(suite, custodians, 3, 5)

    kept = [
        setup.wrapped_private_key,
        setup.public_key.to_der(),
        repr(setup).encode(),
        *(share.ciphertext for share in setup.shares),
        *(share.custodian_fingerprint.encode() for share in setup.shares),
    ]
    assert len(secrets) == 3
    assert len(secrets[2]) == 16  # the KEK
    for secret in secrets:
        for value in kept:
            assert secret not in value
            assert secret.hex().encode() not in value


def test_released_share_values_do_not_appear_in_logs(suite: Suite, custodians: list[Custodian]) -> None:
    setup = setup_for(suite, custodians, 2, 3)
    released = decrypt_share(setup.shares[0], custodians[0].key)
    assert released.value.hex() not in repr(released)
    assert str(released.value) not in repr(released)
