"""The ledger's Merkle tree against RFC 9162 §2.1: published test vectors, the RFC 6962 reference roots, and
property tests of trees built batch by batch through the complete-subtree store."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    NodeKey,
    NodeMissing,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_nodes,
    node_hash,
    range_blocks,
    root_at,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# transparency-dev/merkle's vectors, kept in the repository (Apache-2.0; tests/data/merkle-testdata/README.md)
TESTDATA = Path(__file__).resolve().parents[1] / "data" / "merkle-testdata"
VECTOR_FILES = sorted(TESTDATA.rglob("*.json")) if TESTDATA.is_dir() else []

# RFC 6962's reference tree (used by every CT implementation's tests) and its roots for sizes 1..8.
REFERENCE_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
REFERENCE_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

PROPERTY = settings(max_examples=60, deadline=None)


# --- helpers --------------------------------------------------------------------------------------------------


def synthetic_leaf_hashes(count: int, *, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(seed.to_bytes(4, "big") + i.to_bytes(8, "big")).digest() for i in range(count)]


def build_store(hashes: Sequence[bytes], batch_sizes: Sequence[int] = ()) -> MemoryNodeStore:
    """Append ``hashes`` in batches of the given sizes (cycled; the rest in one batch if none are given)."""
    store = MemoryNodeStore()
    position = 0
    turn = 0
    while position < len(hashes):
        step = batch_sizes[turn % len(batch_sizes)] if batch_sizes else len(hashes)
        store.append_leaf_hashes(hashes[position : position + step])
        position += step
        turn += 1
    return store


def flip_bit(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def every_single_bit_flip(proof: list[bytes]) -> list[list[bytes]]:
    return [
        [*proof[:position], flip_bit(element, bit), *proof[position + 1 :]]
        for position, element in enumerate(proof)
        for bit in range(len(element) * 8)
    ]


class CountingReader:
    def __init__(self, store: MemoryNodeStore) -> None:
        self.store = store
        self.calls: list[int] = []

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.calls.append(len(keys))
        return self.store.get_nodes(keys)


trees = st.integers(min_value=1, max_value=300).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.lists(st.integers(min_value=1, max_value=max(1, size)), min_size=1, max_size=8),
    )
)


# --- published test vectors (transparency-dev/merkle) -----------------------------------------------------------


def test_merkle_test_vectors_are_present() -> None:
    if not TESTDATA.is_dir():
        pytest.fail(f"Merkle test vectors missing: {TESTDATA}")
    assert len(VECTOR_FILES) >= 196


def _decode(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_decode(element) for element in vector["proof"] or []]


def _vector_id(path: Path) -> str:
    return str(path.relative_to(TESTDATA))


@pytest.mark.parametrize("path", VECTOR_FILES, ids=_vector_id)
def test_verifier_accepts_exactly_the_valid_test_vectors(path: Path) -> None:
    vector = json.loads(path.read_text())
    if path.relative_to(TESTDATA).parts[0] == "inclusion":

        def check() -> None:
            verify_inclusion(
                _decode(vector["leafHash"]),
                vector["leafIdx"],
                vector["treeSize"],
                _proof(vector),
                _decode(vector["root"]),
            )

    else:

        def check() -> None:
            verify_consistency(
                vector["size1"], vector["size2"], _proof(vector), _decode(vector["root1"]), _decode(vector["root2"])
            )

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


# --- known answers --------------------------------------------------------------------------------------------


def test_hashes_are_domain_separated_sha256_as_in_rfc_9162() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


def test_roots_of_the_rfc_6962_reference_tree_for_every_size() -> None:
    hashes = [leaf_hash(data) for data in REFERENCE_LEAVES]
    store = MemoryNodeStore()
    for size in range(1, 9):
        store.append_leaf_hashes(hashes[size - 1 : size])
        assert root_from_leaf_hashes(hashes[:size]).hex() == REFERENCE_ROOTS[size - 1]
        assert root_at(size, store).hex() == REFERENCE_ROOTS[size - 1]
    for size in range(1, 9):
        assert root_at(size, store).hex() == REFERENCE_ROOTS[size - 1]  # older roots from the grown store


def test_reference_tree_proofs_verify_against_the_reference_roots() -> None:
    hashes = [leaf_hash(data) for data in REFERENCE_LEAVES]
    store = build_store(hashes)
    for size in range(1, 9):
        root = bytes.fromhex(REFERENCE_ROOTS[size - 1])
        for index in range(size):
            verify_inclusion(hashes[index], index, size, inclusion_proof(index, size, store), root)
        for first in range(1, size + 1):
            first_root = bytes.fromhex(REFERENCE_ROOTS[first - 1])
            verify_consistency(first, size, consistency_proof(first, size, store), first_root, root)


def test_leaf_range_is_tiled_by_maximal_aligned_blocks_largest_first() -> None:
    assert range_blocks(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_blocks(8, 13) == [(2, 2), (0, 12)]
    assert range_blocks(4, 8) == [(2, 1)]
    with pytest.raises(ValueError, match="not a subtree"):
        range_blocks(2, 7)


# --- trees built through the store ----------------------------------------------------------------------------


@PROPERTY
@given(trees)
def test_tree_appended_in_batches_has_the_roots_of_rfc_9162(tree: tuple[int, list[int]]) -> None:
    size, batches = tree
    hashes = synthetic_leaf_hashes(size)
    store = build_store(hashes, batches)
    assert store.size == size
    for prefix in range(size + 1):
        assert root_at(prefix, store) == root_from_leaf_hashes(hashes[:prefix])
    # Batching never changes what is stored.
    assert store.levels == build_store(hashes).levels
    assert len(store) == 2 * size - bin(size).count("1")


@PROPERTY
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_any_change_breaks_it(tree: tuple[int, list[int]], data: Any) -> None:
    size, batches = tree
    hashes = synthetic_leaf_hashes(size, seed=1)
    store = build_store(hashes, batches)
    root = root_from_leaf_hashes(hashes)
    for index in range(size):
        proof = inclusion_proof(index, size, store)
        verify_inclusion(hashes[index], index, size, proof, root)
        assert root_from_inclusion_proof(hashes[index], index, size, proof) == root

    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(index, size, store)
    for changed in every_single_bit_flip(proof):
        with pytest.raises(ProofError):
            verify_inclusion(hashes[index], index, size, changed, root)
    for bit in range(256):
        with pytest.raises(ProofError):
            verify_inclusion(hashes[index], index, size, proof, flip_bit(root, bit))
        with pytest.raises(ProofError):
            verify_inclusion(flip_bit(hashes[index], bit), index, size, proof, root)
    for other in [*range(size + 2), -1]:
        if other != index:
            with pytest.raises(ProofError):
                verify_inclusion(hashes[index], other, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(hashes[index], index, size, [*proof, root], root)
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(hashes[index], index, size, proof[:-1], root)


@PROPERTY
@given(trees, st.data())
def test_consistency_proofs_verify_and_any_change_breaks_them(tree: tuple[int, list[int]], data: Any) -> None:
    size, batches = tree
    hashes = synthetic_leaf_hashes(size, seed=2)
    store = build_store(hashes, batches)
    roots = [root_from_leaf_hashes(hashes[:prefix]) for prefix in range(size + 1)]
    second = data.draw(st.integers(min_value=1, max_value=size), label="second")
    for first in range(1, second + 1):
        verify_consistency(first, second, consistency_proof(first, second, store), roots[first], roots[second])

    first = data.draw(st.integers(min_value=1, max_value=second), label="first")
    proof = consistency_proof(first, second, store)
    for changed in every_single_bit_flip(proof):
        with pytest.raises(ProofError):
            verify_consistency(first, second, changed, roots[first], roots[second])
    for bit in range(256):
        with pytest.raises(ProofError):
            verify_consistency(first, second, proof, flip_bit(roots[first], bit), roots[second])
        with pytest.raises(ProofError):
            verify_consistency(first, second, proof, roots[first], flip_bit(roots[second], bit))
    for other_first in range(0, second + 2):
        if other_first != first:
            with pytest.raises(ProofError):
                verify_consistency(other_first, second, proof, roots[first], roots[second])
    with pytest.raises(ProofError):
        verify_consistency(first, second, [*proof, roots[first]], roots[first], roots[second])
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(first, second, proof[:-1], roots[first], roots[second])


# --- cost and storage contract ---------------------------------------------------------------------------------


def test_proofs_and_roots_read_logarithmically_many_nodes_in_one_batch() -> None:
    size = 100_000
    store = MemoryNodeStore()
    hashes = synthetic_leaf_hashes(size, seed=3)
    store.put_nodes(new_nodes(0, hashes, store))
    store.size = size
    limit = 2 * math.log2(size) + 2
    root = root_from_leaf_hashes(hashes)

    for index in (0, 1, 65_535, 65_536, 99_998, 99_999):
        reader = CountingReader(store)
        proof = inclusion_proof(index, size, reader)
        assert len(reader.calls) == 1
        assert reader.calls[0] <= limit
        verify_inclusion(hashes[index], index, size, proof, root)

    for first in (1, 3, 65_536, 77_777, 99_999):
        reader = CountingReader(store)
        proof = consistency_proof(first, size, reader)
        assert len(reader.calls) == 1
        assert reader.calls[0] <= limit
        verify_consistency(first, size, proof, root_from_leaf_hashes(hashes[:first]), root)

    reader = CountingReader(store)
    assert root_at(size, reader) == root
    assert reader.calls == [bin(size).count("1")]


def test_appending_reads_only_the_right_edge_of_the_tree() -> None:
    hashes = synthetic_leaf_hashes(1_000, seed=4)
    store = build_store(hashes[:999])
    reader = CountingReader(store)
    nodes = new_nodes(999, hashes[999:], reader)
    # 999 = 0b1111100111: the new leaf completes subtrees at levels 1, 2 and 3 (1000 = 0b1111101000).
    assert reader.calls == [3]
    assert [key for key, _ in nodes] == [(0, 999), (1, 499), (2, 249), (3, 124)]
    store.put_nodes(nodes)
    store.size = 1_000
    assert root_at(1_000, store) == root_from_leaf_hashes(hashes)


def test_store_refuses_to_change_or_skip_nodes() -> None:
    store = build_store(synthetic_leaf_hashes(4))
    with pytest.raises(ValueError, match="different hash"):
        store.put_nodes([((0, 1), b"\xff" * 32)])
    with pytest.raises(ValueError, match="gap"):
        store.put_nodes([((0, 9), b"\xff" * 32)])
    store.put_nodes([((0, 1), store.get_nodes([(0, 1)])[(0, 1)])])  # an identical rewrite is harmless


def test_proof_beyond_the_stored_tree_fails_loudly() -> None:
    store = build_store(synthetic_leaf_hashes(5))
    with pytest.raises(NodeMissing):
        root_at(6, store)
    with pytest.raises(NodeMissing):
        inclusion_proof(0, 8, store)


def test_proof_requests_outside_the_tree_are_refused() -> None:
    store = build_store(synthetic_leaf_hashes(5))
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(5, 5, store)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(4, 3, store)
    with pytest.raises(ValueError, match="empty tree"):
        consistency_proof(0, 3, store)
    assert consistency_proof(3, 3, store) == []


# --- verifier reasons -----------------------------------------------------------------------------------------


def test_verifier_says_why_a_proof_fails() -> None:
    hashes = synthetic_leaf_hashes(6, seed=5)
    store = build_store(hashes)
    root = root_from_leaf_hashes(hashes)
    proof = inclusion_proof(2, 6, store)
    with pytest.raises(ProofError, match="not below tree size"):
        verify_inclusion(hashes[2], 6, 6, proof, root)
    with pytest.raises(ProofError, match="too long"):
        verify_inclusion(hashes[2], 2, 6, [*proof, root], root)
    with pytest.raises(ProofError, match="too short"):
        verify_inclusion(hashes[2], 2, 6, proof[:-1], root)
    with pytest.raises(ProofError, match="does not lead to the given root"):
        verify_inclusion(hashes[3], 2, 6, proof, root)
    with pytest.raises(ProofError, match="33 bytes"):
        verify_inclusion(hashes[2], 2, 6, [proof[0] + b"\x00", *proof[1:]], root)

    first_root = root_from_leaf_hashes(hashes[:3])
    proof = consistency_proof(3, 6, store)
    with pytest.raises(ProofError, match="greater than"):
        verify_consistency(6, 3, proof, root, first_root)
    with pytest.raises(ProofError, match="is empty"):
        verify_consistency(3, 6, [], first_root, root)
    with pytest.raises(ProofError, match="too long"):
        verify_consistency(3, 6, [*proof, root], first_root, root)
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(3, 6, proof[:-1], first_root, root)
    with pytest.raises(ProofError, match="root of size 3"):
        verify_consistency(3, 6, proof, root, root)
    with pytest.raises(ProofError, match="root of size 6"):
        verify_consistency(3, 6, proof, first_root, first_root)
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(6, 6, proof, root, root)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 6, proof, EMPTY_ROOT, root)
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(6, 6, [], root, root)
