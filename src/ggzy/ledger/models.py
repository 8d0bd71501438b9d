"""Tables of the ledger: entries in commit order, complete-subtree hashes, checkpoints, witnesses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class LedgerHead(Base):
    """One row: how many entries are numbered (``next_index``) and how many are in the tree (``tree_size``);
    how many checkpoints were ever issued (``checkpoints_issued``) and the size of the newest (``checkpoint_size``).

    Numbering takes this row's lock at commit, so entries are numbered in commit order without gaps. The checkpoint
    counters let ``ggzy ledger verify`` notice deleted checkpoints (an attacker who also edits this row is caught by
    a witness, which keeps the newest checkpoint it cosigned).
    """

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_index: Mapped[int] = mapped_column(BigInteger)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    checkpoints_issued: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)


class LedgerEntry(Base):
    """The position of an event in the log (leaf index), assigned when its transaction commits."""

    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)


class LedgerNode(Base):
    """The hash of a complete subtree: level 0 are leaf hashes; (level, index) covers 2^level leaves."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    """A signed checkpoint (C2SP tlog-checkpoint as a signed note) of the tree at ``size``."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerWitness(Base):
    """An independent witness whose cosignatures the platform accepts and serves (C2SP tlog-cosignature)."""

    __tablename__ = "ledger_witnesses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    verifier_key: Mapped[str] = mapped_column(String(400))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerCosignature(Base):
    """A witness's cosignature line over one checkpoint."""

    __tablename__ = "ledger_cosignatures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("ledger_witnesses.id"))
    signature_line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
