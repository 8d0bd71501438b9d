"""The Merkle tree of the ledger: RFC 9162 §2.1 hashing, proofs and their verification, as pure functions.

Storage model. The tree is kept as the hashes of its *complete* subtrees: node ``(level, index)`` covers the leaves
``[index * 2**level, (index + 1) * 2**level)`` and exists once all those leaves exist; level 0 holds the leaf
hashes. Nodes never change once written, so the store is append-only, and the same store serves proofs and roots
for every earlier tree size. The hash of an incomplete range on the right edge of a tree is never stored: it is
composed from the (at most log2 n) complete subtrees that tile it.

Reading goes through :class:`NodeReader`, one batch per proof or root, so a SQL backend answers each with one
query. :func:`new_nodes` turns a batch of new leaf hashes into the nodes to write, reading only the right edge.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and raises :class:`ProofError` with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeStore",
    "NodeKey",
    "NodeMissing",
    "NodeReader",
    "ProofError",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "new_nodes",
    "node_hash",
    "range_blocks",
    "root_at",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete subtree: it covers leaves ``[index * 2**level, (index + 1) * 2**level)``."""

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"  # RFC 9162 §2.1.1: domain separation of leaves and interior nodes
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

EMPTY_ROOT = _sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1)."""


class ProofError(ValueError):
    """A proof does not prove what it claims; the message says why."""


class NodeMissing(LookupError):
    """The store lacks a node that a tree of the requested size must have (asked beyond the stored size?)."""


# --- hashing (RFC 9162 §2.1.1) ---------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the leaf hashes, in O(n) time and without recursion.

    Pairing level by level and carrying an odd last node up unchanged gives exactly RFC 9162's split at the largest
    power of two smaller than n: the carried node is the root of the right, incomplete subtree.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [
            _sha256(_NODE_PREFIX + left + right).digest() for left, right in zip(level[0::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# --- storage ---------------------------------------------------------------------------------------------------


class NodeReader(Protocol):
    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the stored hashes of the given nodes; a node that is not stored is left out of the answer."""
        ...


class MemoryNodeStore:
    """An in-memory node store for tests, tools and small trees.

    Each level is one ``bytearray`` of concatenated 32-byte hashes: a million leaves take 64 MB rather than the
    ~400 MB of a dict of tuples, and the garbage collector has no millions of objects to walk.
    """

    def __init__(self) -> None:
        self.levels: list[bytearray] = []
        self.size = 0

    def __len__(self) -> int:
        """The number of stored nodes."""
        return sum(len(level) for level in self.levels) // HASH_SIZE

    def node(self, level: int, index: int) -> bytes | None:
        """One stored node, or None."""
        if not 0 <= level < len(self.levels) or index < 0:
            return None
        value = bytes(self.levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])
        return value or None

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        levels = self.levels
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            if 0 <= level < len(levels) and index >= 0:
                offset = index * HASH_SIZE
                value = bytes(levels[level][offset : offset + HASH_SIZE])
                if value:
                    found[(level, index)] = value
        return found

    def put_nodes(self, nodes: Iterable[tuple[NodeKey, bytes]]) -> None:
        """Store nodes; each must extend its level by one, or repeat a stored node exactly (nodes never change)."""
        levels = self.levels
        for (level, index), value in nodes:
            if len(value) != HASH_SIZE:
                raise ValueError(f"node {(level, index)} hash is {len(value)} bytes, not {HASH_SIZE}")
            while len(levels) <= level:
                levels.append(bytearray())
            row = levels[level]
            offset = index * HASH_SIZE
            if offset == len(row):
                row += value
            elif 0 <= offset < len(row):
                if row[offset : offset + HASH_SIZE] != value:
                    raise ValueError(f"node {(level, index)} is already stored with a different hash")
            else:
                raise ValueError(f"node {(level, index)} would leave a gap at level {level}")

    def append_leaf_hashes(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaves to the tree: write every node the batch completes and advance ``size``."""
        self.put_nodes(new_nodes(self.size, leaf_hashes, self))
        self.size += len(leaf_hashes)


def _fetch(read: NodeReader, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
    """One batch read that fails loudly if a node is missing (a proof from partial data would be wrong)."""
    if not keys:
        return {}
    found = read.get_nodes(keys)
    if len(found) < len(set(keys)):
        missing = sorted(set(keys) - found.keys())
        raise NodeMissing(f"{len(missing)} node(s) not in the store, first {missing[0]}")
    return found


def new_nodes(size: int, leaf_hashes: Sequence[bytes], read: NodeReader) -> list[tuple[NodeKey, bytes]]:
    """Every complete-subtree node created by appending ``leaf_hashes`` to a tree of ``size`` leaves.

    The leaves themselves come first (level 0), then each level upwards. Of the existing tree, only the right edge
    is read (the complete subtrees that tile ``[0, size)``, at most log2(size) of them, in one batch), and only the
    ones that gain a new parent.
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    count = len(leaf_hashes)
    if count == 0:
        return []
    if any(len(value) != HASH_SIZE for value in leaf_hashes):
        raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes each")
    end = size + count
    # Node (level, (size >> level) - 1) is on the right edge when bit `level` of size is set; it is needed when the
    # batch completes its parent, i.e. when the node count at level + 1 grows.
    edge_keys = [
        (level, (size >> level) - 1)
        for level in range(size.bit_length())
        if (size >> level) & 1 and (size >> (level + 1)) < (end >> (level + 1))
    ]
    edge = _fetch(read, edge_keys)

    result: list[tuple[NodeKey, bytes]] = list(
        zip(zip(repeat(0), range(size, end), strict=False), leaf_hashes, strict=True)
    )
    hashes: list[bytes] = list(leaf_hashes)
    start = size  # index of hashes[0] at the current level
    level = 0
    prefix = _NODE_PREFIX
    sha256 = _sha256
    while True:
        if start & 1:
            # The first new node is a right child: its left sibling was already stored.
            hashes.insert(0, edge[(level, start - 1)])
            start -= 1
        if len(hashes) < 2:
            break
        hashes = [
            sha256(prefix + left + right).digest() for left, right in zip(hashes[0::2], hashes[1::2], strict=False)
        ]
        start >>= 1
        level += 1
        result.extend(zip(zip(repeat(level), range(start, start + len(hashes)), strict=False), hashes, strict=True))
    return result


# --- composing ranges from complete subtrees ---------------------------------------------------------------------


def range_blocks(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees that tile the leaf range ``[start, end)``, left to right, largest first.

    The range must be a subtree of the RFC 9162 recursion, i.e. ``start`` aligned to the largest power of two not
    above ``end - start``; then MTH(D[start:end]) is the right fold of these blocks with :func:`node_hash`.
    """
    length = end - start
    if length <= 0:
        raise ValueError(f"empty leaf range [{start}, {end})")
    if start & ((1 << (length.bit_length() - 1)) - 1):
        raise ValueError(f"leaf range [{start}, {end}) is not a subtree of the Merkle tree")
    keys: list[NodeKey] = []
    position = start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def _fold(blocks: Sequence[NodeKey], nodes: dict[NodeKey, bytes]) -> bytes:
    """MTH of a range from its tiling blocks: the rightmost subtrees are the deepest in RFC 9162's recursion."""
    value = nodes[blocks[-1]]
    for key in reversed(blocks[:-1]):
        value = _sha256(_NODE_PREFIX + nodes[key] + value).digest()
    return value


def _range_hashes(ranges: Sequence[tuple[int, int]], read: NodeReader) -> list[bytes]:
    """MTH of each leaf range, reading every node needed in one batch."""
    tilings = [range_blocks(start, end) for start, end in ranges]
    keys = list(dict.fromkeys(key for blocks in tilings for key in blocks))
    nodes = _fetch(read, keys)
    return [_fold(blocks, nodes) for blocks in tilings]


def root_at(size: int, read: NodeReader) -> bytes:
    """MTH of the first ``size`` leaves of the stored tree (the store may hold more)."""
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], read)[0]


# --- proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) --------------------------------------------------------------


def _largest_power_of_two_below(n: int) -> int:
    """k in RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[size]), in proof order (deepest first)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    low, high = 0, size
    # Walk RFC 9162's recursion from the root down; the sibling met at each step is a proof element.
    while high - low > 1:
        split = low + _largest_power_of_two_below(high - low)
        if index < split:
            ranges.append((split, high))
            high = split
        else:
            ranges.append((low, split))
            low = split
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(first, D[second]), in proof order."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == 0:
        raise ValueError("a consistency proof from the empty tree proves nothing (RFC 9162 defines 0 < first)")
    ranges: list[tuple[int, int]] = []
    low, high = 0, second
    whole_first_tree = True  # the b flag of SUBPROOF: is [low, high) still a prefix the verifier holds the root of
    # SUBPROOF appends its element after the recursive call, so elements found on the way down come out reversed.
    while first != high:
        split = low + _largest_power_of_two_below(high - low)
        if first <= split:
            ranges.append((split, high))
            high = split
        else:
            ranges.append((low, split))
            low = split
            whole_first_tree = False
    if not whole_first_tree:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """PATH(index, D[size]) from the stored subtrees, in one batch read of at most 2·log2(size) nodes."""
    return _range_hashes(inclusion_ranges(index, size), read)


def consistency_proof(first: int, second: int, read: NodeReader) -> list[bytes]:
    """PROOF(first, D[second]) from the stored subtrees, in one batch read of at most 2·log2(second) nodes.

    Equal sizes give the empty proof.
    """
    if first == second:
        return []
    return _range_hashes(consistency_ranges(first, second), read)


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            raise ProofError(f"proof element {position} is {len(element)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` yields for the leaf at ``index`` of a tree of ``size`` (RFC 9162 §2.1.3.2 steps 1-5,
    without the final comparison with a known root)."""
    if index < 0 or size < 0:
        raise ProofError(f"negative leaf index or tree size ({index}, {size})")
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_proof_hashes(proof)
    fn, sn = index, size - 1
    value = leaf_hash
    for element in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof too long: {len(proof)} elements for leaf {index} of {size}")
        if fn & 1 or fn == sn:
            value = _sha256(_NODE_PREFIX + element + value).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            value = _sha256(_NODE_PREFIX + value + element).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof too short: {len(proof)} elements for leaf {index} of {size}")
    return value


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the leaf at ``index`` is in the tree of ``size`` with
    ``root``."""
    _check_hash("root", root)
    if root_from_inclusion_proof(leaf_hash, index, size, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} of {size} does not lead to the given root")


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the tree of ``first`` leaves with ``first_root`` is a prefix
    of the tree of ``second`` leaves with ``second_root``."""
    if first < 0 or second < 0:
        raise ProofError(f"negative tree size ({first}, {second})")
    if first > second:
        raise ProofError(f"first tree size {first} is greater than second tree size {second}")
    if first == second:
        # Outside RFC 9162's algorithm (which needs first < second): the only proof of a tree against itself is none.
        if proof:
            raise ProofError(f"consistency proof between equal sizes must be empty, got {len(proof)} elements")
        if first_root != second_root:
            raise ProofError(f"roots differ for the same tree size {first}")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("root of the empty tree is not SHA-256 of the empty string")
        return
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    # RFC 9162 §2.1.4.2
    if not proof:  # step 1
        raise ProofError("consistency proof is empty")
    _check_hash("first root", first_root)
    _check_hash("second root", second_root)
    _check_proof_hashes(proof)
    path = list(proof)
    if first & (first - 1) == 0:  # step 2: first is a power of two, its root is implied
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    first_value = second_value = path[0]  # step 5
    for element in path[1:]:  # step 6
        if sn == 0:
            raise ProofError(f"consistency proof too long: {len(proof)} elements from size {first} to {second}")
        if fn & 1 or fn == sn:
            first_value = _sha256(_NODE_PREFIX + element + first_value).digest()
            second_value = _sha256(_NODE_PREFIX + element + second_value).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            second_value = _sha256(_NODE_PREFIX + second_value + element).digest()
        fn >>= 1
        sn >>= 1
    # step 7
    if sn != 0:
        raise ProofError(f"consistency proof too short: {len(proof)} elements from size {first} to {second}")
    if first_value != first_root:
        raise ProofError(f"consistency proof does not lead to the root of size {first}")
    if second_value != second_root:
        raise ProofError(f"consistency proof does not lead to the root of size {second}")
