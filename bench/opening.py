"""The remote opening at scale: N sealed bids of S MB opened in one go through the opening service, against the
physical floor of the same work measured in the same run.

Set-up (not timed), on a temporary SQLite database and a temporary LocalBlobStore, with a fake clock and the
services the API calls: centres, a CA per suite, owner and agent by certificate login, an accepted project, three
custodians per suite (``demo_story.register_custodians``), a published tender, N bidders with certificates of the
suite (certificate login, registration), N bids of S MB of random content (two files each, S/2 MB apiece) sealed
offline with ``seal_bid`` and submitted with ``bids.submit_bid``; the clock moves past the deadline and the opening
starts.

Timed (``seconds``), as the bidders' and the host's requests would run it: for every bid, the bidder's unwrap of the
data key with its private key (already loaded), then ``opening.decrypt_bid`` in its own transaction — read the
ciphertext from the blob store once, decrypt and authenticate every STREAM chunk, hash the ciphertext (it must be
the one the header signs) and each file (the inner signature covers the files' SHA-256), verify the inner signature,
record the bid with its verified data key (no plaintext is written: docs/decisions/0005) — and its commit; then the
ledger integrates the events (the "record": one ``catch_up``, as the platform's background beat does — with
``ledger_background`` on, the default, requests do not integrate after each commit) and ``finish_opening`` reads out
and signs the opening record (the "publish").

The floor (``raw_seconds``): for every stored ciphertext, read it from the blob store and decrypt its chunks in one
process with ``cryptography`` directly (AESGCM for INTL, SM4-GCM through ``Cipher`` for GM), same nonce scheme and
associated data, keys already unwrapped; nothing is hashed or written. ``ratio = seconds / raw_seconds``. For
reference the run also reports ``verified_floor_seconds``: the floor plus the two SHA-256 passes the security of the
opening needs (ciphertext against the signed header, plaintext files against the inner signature), done the same
plain way; ``ratio_to_verified_floor`` shows what the service adds beyond work it cannot skip.

Prints one JSON line per suite (``{"name": "opening", "suite": …, "n", "mb", "seconds", "raw_seconds", "ratio",
…}``); INTL first. Growth: both sides are linear in N × S (every byte is read, decrypted and — on the service and
verified-floor sides — hashed twice); the service adds a per-bid constant (unwrap, a handful of queries, a
transaction with one event) and the record and publish steps are linear in N with small constants.

    .venv/bin/python bench/opening.py [--n 200] [--mb 5] [--suite both|intl|gm] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _quick import parse_args
from _scenario import certificate_user, published_tender
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ggzy.core.clock import FixedClock
from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import Permission
from ggzy.crypto import PrivateKey, Suite, load_public_key_pem
from ggzy.crypto.envelope import EnvelopeHeader, chunk_nonce, read_envelope_header, seal_bid, unwrap_data_key
from ggzy.crypto.suites import TAG_SIZE
from ggzy.demo import demo_credit_code
from ggzy.entities import login
from ggzy.entities.models import User
from ggzy.ledger.service import LedgerKeys, after_commit_hook, catch_up
from ggzy.storage import MIB, LocalBlobStore
from ggzy.tendering import bids, keys, opening
from ggzy.tendering import service as tendering
from ggzy.wiring import session_factory

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@dataclass
class Bidder:
    user: User
    private_key: PrivateKey
    certificate_pem: str
    header: EnvelopeHeader | None = None
    data_key: bytes = b""


def _raw_open(store: LocalBlobStore, header: EnvelopeHeader, data_key: bytes, *, hash_both: bool = False) -> int:
    """The floor for one bid: read the stored ciphertext, decrypt every chunk; returns the plaintext size. With
    ``hash_both``, the ciphertext and the plaintext are also hashed with SHA-256 (the verified floor)."""
    sealed_size = header.chunk_size + TAG_SIZE
    count = header.chunk_count
    aad = header.associated_data
    size = 0
    aead = AESGCM(data_key) if header.suite is Suite.INTL else None
    ciphertext_hash, plaintext_hash = hashlib.sha256(), hashlib.sha256()
    with store.open(header.ciphertext_sha256) as stream:
        for index in range(count):
            chunk = stream.read(sealed_size)
            nonce = chunk_nonce(header.nonce_prefix, index, last=index == count - 1)
            if aead is not None:
                plaintext = aead.decrypt(nonce, chunk, aad)
            else:
                decryptor = Cipher(algorithms.SM4(data_key), modes.GCM(nonce, chunk[-TAG_SIZE:])).decryptor()
                decryptor.authenticate_additional_data(aad)
                plaintext = decryptor.update(chunk[:-TAG_SIZE]) + decryptor.finalize()
            size += len(plaintext)
            if hash_both:
                ciphertext_hash.update(chunk)
                plaintext_hash.update(plaintext)
    return size


def run(suite: Suite, n: int, mb: float, *, profile: Path | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ggzy-bench-opening-") as directory:
        root = Path(directory)
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        store = LocalBlobStore(root / "blobs")
        ledger_keys = LedgerKeys.generate("bench.ggzy/ledger")
        clock = FixedClock(NOW)
        after_commit = after_commit_hook(ledger_keys, clock, min_interval=timedelta(seconds=1))

        with unit_of_work(factory) as db:
            tender, code, ca_dir, host = published_tender(db, root, store, clock.now(), suite)
            opening_key = next(k for k in keys.opening_keys_of(db, tender.id) if k.suite == suite.value)
            opening_public_key = load_public_key_pem(opening_key.public_key_pem)
        clock.advance(timedelta(days=1))
        bidders: list[Bidder] = []
        with unit_of_work(factory) as db:
            for index in range(n):
                user, key, pem, _ = certificate_user(
                    db, ca_dir, name=f"压测投标人{index}",
                    code=demo_credit_code("530100", f"{'G' if suite is Suite.GM else 'N'}{index:08d}"), now=clock.now(),
                )  # fmt: skip
                actor = login.principal_for(db, user).holding(Permission.TENDER_REGISTER)
                tendering.register_for_tender(db, actor, tender_id=tender.id, now=clock.now())
                bidders.append(Bidder(user=user, private_key=key, certificate_pem=pem))

        # Seal offline and submit, one transaction per bid (as the API does); not timed.
        half = int(mb * MIB) // 2
        clock.advance(timedelta(days=1))
        sealing_started = time.perf_counter()
        for index, bidder in enumerate(bidders):
            envelope_path = root / "envelope.ggzy"
            with envelope_path.open("w+b") as out:
                seal_bid(
                    lot_code=code,
                    suite=suite,
                    summary={"price_fen": 1_700_000_000 + index, "schedule_days": 540, "quality": "合格"},
                    files={"商务标.pdf": os.urandom(half), "技术标.pdf": os.urandom(int(mb * MIB) - half)},
                    bidder_certificate_pem=bidder.certificate_pem,
                    bidder_private_key=bidder.private_key,
                    opening_public_key=opening_public_key,
                    out=out,
                    now=clock.now(),
                )
                out.seek(0)
                with unit_of_work(factory) as db:
                    actor = login.principal_for(db, bidder.user).holding(Permission.TENDER_REGISTER)
                    bids.submit_bid(
                        db, actor, tender_id=tender.id, envelope=out, store=store, max_bytes=(int(mb) + 10) * MIB,
                        details={"ip": "198.51.100.7", "user_agent": "bench"}, signer=ledger_keys.ed25519_key,
                        now=clock.now(),
                    )  # fmt: skip
                out.seek(0)
                bidder.header = read_envelope_header(out)
            envelope_path.unlink()
        setup_seconds = time.perf_counter() - sealing_started

        clock.set(tender.bid_deadline)
        with unit_of_work(factory, after_commit=after_commit) as db:
            opening.start_opening(db, host, tender_id=tender.id, now=clock.now())
        clock.advance(timedelta(minutes=2))

        # Timed: every bidder decrypts remotely (its own request, its own transaction), then the record is signed.
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        unwrap_seconds = 0.0
        for bidder in bidders:
            assert bidder.header is not None
            unwrap_started = time.perf_counter()
            bidder.data_key = unwrap_data_key(bidder.header, bidder.private_key, "bidder")
            unwrap_seconds += time.perf_counter() - unwrap_started
            with unit_of_work(factory) as db:
                actor = login.principal_for(db, bidder.user).holding(Permission.TENDER_REGISTER)
                opening.decrypt_bid(
                    db, actor, tender_id=tender.id, data_key=bidder.data_key, store=store, max_mb=int(mb) + 10,
                    now=clock.now(),
                )  # fmt: skip
        decrypted_at = time.perf_counter()
        catch_up(factory, ledger_keys, clock)  # the background beat integrates what the decryptions numbered
        recorded_at = time.perf_counter()
        clock.advance(timedelta(minutes=31))
        with unit_of_work(factory, after_commit=after_commit) as db:
            record = opening.finish_opening(
                db, host, tender_id=tender.id, not_bidders_fault=[], signers=ledger_keys.signers, now=clock.now()
            )
            assert json.loads(record.record)["outcome"] == "opened"
            assert len(json.loads(record.record)["bids"]) == n
        seconds = time.perf_counter() - started
        record_seconds = recorded_at - decrypted_at
        publish_seconds = time.perf_counter() - recorded_at
        if profiler:
            profiler.disable()
            assert profile is not None
            profiler.dump_stats(profile.with_suffix(f".{suite.value}.prof"))
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)

        # The floor, same ciphertexts, same process.
        raw_started = time.perf_counter()
        plaintext = 0
        for bidder in bidders:
            assert bidder.header is not None
            plaintext += _raw_open(store, bidder.header, bidder.data_key)
        raw_seconds = time.perf_counter() - raw_started
        verified_started = time.perf_counter()
        for bidder in bidders:
            assert bidder.header is not None
            _raw_open(store, bidder.header, bidder.data_key, hash_both=True)
        verified_seconds = time.perf_counter() - verified_started
        engine.dispose()
        shutil.rmtree(root / "blobs", ignore_errors=True)

    return {
        "name": "opening",
        "suite": suite.value,
        "n": n,
        "mb": mb,
        "seconds": round(seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "ratio": round(seconds / raw_seconds, 2),
        "verified_floor_seconds": round(verified_seconds, 2),
        "ratio_to_verified_floor": round(seconds / verified_seconds, 2),
        "unwrap_seconds": round(unwrap_seconds, 3),
        "record_seconds": round(record_seconds, 3),
        "publish_seconds": round(publish_seconds, 3),
        "plaintext_mb_per_second": round(plaintext / MIB / seconds, 1),
        "raw_mb_per_second": round(plaintext / MIB / raw_seconds, 1),
        "setup_seconds": round(setup_seconds, 1),
        "load_average": round(os.getloadavg()[0], 2),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="sealed bids")
    parser.add_argument("--mb", type=float, default=5, help="plaintext size of each bid, MiB")
    parser.add_argument("--suite", choices=["both", "intl", "gm"], default="both")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats to PATH.<suite>.prof")
    args = parse_args(parser, n=3, mb=0.25)
    suites = [Suite.INTL, Suite.GM] if args.suite == "both" else [Suite(args.suite)]
    for suite in suites:
        print(json.dumps(run(suite, args.n, args.mb, profile=args.profile), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
