"""The platform's side of witnessing: send each new checkpoint to the configured witnesses (tlog-witness v1).

The ledger's background publisher calls :func:`send_to_witnesses` at its cadence, in its own thread: a request never
waits for a witness. For each witness it sends the newest checkpoint with a consistency proof from the size the
witness holds (learnt from its 409 answer on first contact), and stores the cosignature it gets back, so that
``GET /api/v1/ledger/checkpoint`` serves it. Failures are logged and retried at the next beat. A witness that refuses
(it holds a checkpoint the ledger is not consistent with) is logged as an error on every attempt: that is a rewrite.

A witness that reports a smaller size than a cosignature the platform stored from it has forgotten what it held
(its storage was lost or rolled back). That is logged as ``LEDGER WITNESS FORGOT …`` and the platform does not feed
it again from the smaller size, unless the witness shows (``GET /info``) that its operator reset it explicitly after
that cosignature; ``ggzy ledger verify`` compares with the same stored cosignature and reports it too.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.db import unit_of_work
from ggzy.ledger.keys import LedgerKeys
from ggzy.ledger.merkle import consistency_proof
from ggzy.ledger.models import LedgerWitness
from ggzy.ledger.note import add_signatures, parse_verifier_key
from ggzy.ledger.sequencer import SqlNodeReader
from ggzy.ledger.witness_server import REASON_HEADER, format_add_checkpoint

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0


class WitnessUnavailable(Exception):
    """The witness could not be reached or answered something unexpected."""


class WitnessRefused(Exception):
    """The witness refused the checkpoint (HTTP 4xx other than a size conflict)."""


class WitnessForgot(WitnessRefused):
    """The witness holds less than it cosigned for this platform, and its operator did not reset it."""


@dataclass
class WitnessClient:
    """One configured witness, and what the platform knows of it between beats."""

    url: str
    timeout: float = 10.0
    held_size: int | None = None  # the size the witness holds, once known
    cosigned_size: int | None = None  # the size of the last checkpoint whose cosignature by it the platform stored
    name: str | None = None
    verifier_key: str | None = None
    _last_logged: dict[str, float] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.url.rstrip("/")

    def info(self) -> dict[str, object]:
        status, body, _ = self._request("GET", "/info")
        if status != 200:
            raise WitnessUnavailable(f"witness {self.url} answers {status} to /info")
        return dict(json.loads(body))

    def held_checkpoint(self) -> str:
        """The newest checkpoint the witness cosigned (what ``ggzy ledger verify`` compares the ledger with)."""
        status, body, _ = self._request("GET", "/checkpoint")
        if status != 200:
            raise WitnessUnavailable(f"witness {self.url} holds no checkpoint ({status}: {body.strip()})")
        return body

    def add_checkpoint(self, body: str) -> tuple[int, str, str]:
        """POST /add-checkpoint: the status, the body, and the witness's reason for a refusal."""
        return self._request("POST", "/add-checkpoint", body.encode())

    def _request(self, method: str, path: str, data: bytes | None = None) -> tuple[int, str, str]:
        request = urllib.request.Request(  # noqa: S310 - the operator's configured witness
            self.base + path, data=data, method=method, headers={"content-type": "text/plain; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers.get(REASON_HEADER, "")
        except (OSError, ValueError) as error:
            raise WitnessUnavailable(f"witness {self.url} cannot be reached: {error}") from None

    def log(self, level: int, key: str, message: str, *arguments: object, exc_info: bool = False) -> None:
        """Log, but the same trouble at most once a minute (a witness down for an hour is one line a minute)."""
        now = time.monotonic()
        if now - self._last_logged.get(key, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
            self._last_logged = {key: now}
            logger.log(level, message, *arguments, exc_info=exc_info)


def _register(factory: sessionmaker[Session], client: WitnessClient, *, now: datetime) -> None:
    """Learn the witness's name and key from it on first contact, and register them if the platform lacks them.

    This only decides which cosignatures the platform stores and serves; a verifier pins the witness's key itself
    (``ggzy ledger verify --witness-key``) or asks the witness, never trusting the platform's list.
    """
    from ggzy.ledger.service import add_witness

    info = client.info()
    name, key = str(info["name"]), str(info["verifier_key"])
    parse_verifier_key(key)
    with unit_of_work(factory) as db:
        registered = db.scalar(select(LedgerWitness).where(LedgerWitness.name == name))
        if registered is None:
            add_witness(db, name=name, verifier_key=key, now=now)
            logger.info("witness %s at %s registered with key %s", name, client.url, key)
        elif registered.verifier_key != key:
            raise WitnessRefused(f"witness {name} at {client.url} now shows another key than the one registered")
    client.name, client.verifier_key = name, key


def _check_not_forgotten(factory: sessionmaker[Session], client: WitnessClient, reported: int) -> None:
    """Refuse to feed a witness from a size smaller than one it cosigned for us, unless its operator reset it."""
    from ggzy.ledger.service import largest_cosigned

    with unit_of_work(factory, read_only=True) as db:
        stored = largest_cosigned(db, verifier_key=str(client.verifier_key))
    if stored is None or reported >= stored[0]:
        return
    size, received_at = stored
    shown = client.info().get("resets")
    resets = [reset for reset in shown if isinstance(reset, dict)] if isinstance(shown, list) else []
    after = [reset for reset in resets if _after(str(reset.get("at", "")), received_at)]
    if after:
        client.log(
            logging.WARNING, "reset", "LEDGER WITNESS RESET: witness %s holds size %d, but the platform stored its "
            "cosignature on size %d; its operator reset it at %s, so it is sent the ledger again from size %d",
            client.name, reported, size, after[-1].get("at"), reported,
        )  # fmt: skip
        return
    raise WitnessForgot(
        f"LEDGER WITNESS FORGOT: witness {client.name} at {client.url} holds size {reported}, but the platform "
        f"stored its cosignature on size {size} (received {received_at.isoformat()}): its storage was lost or rolled "
        "back. It is not sent the ledger again from the smaller size; its operator must find out why (and reset it "
        "with `ggzy witness serve --reset` if it is to start again)"
    )


def _after(moment: str, received_at: datetime) -> bool:
    try:
        return datetime.fromisoformat(moment) >= received_at
    except ValueError:
        return False


def send_checkpoint(factory: sessionmaker[Session], keys: LedgerKeys, client: WitnessClient, *, now: datetime) -> bool:
    """Send the newest checkpoint to one witness if it lacks it; True if a new cosignature was stored."""
    from ggzy.ledger.service import add_cosignature, latest_checkpoint

    if client.name is None:
        _register(factory, client, now=now)
    if client.held_size is None:  # ask before sending: a witness that forgot would take `old 0` as its first
        client.held_size = int(str(client.info().get("size", 0)))
        _check_not_forgotten(factory, client, client.held_size)
    for _attempt in range(2):  # the second attempt after a 409 told us the size the witness holds
        with unit_of_work(factory, read_only=True) as db:
            checkpoint = latest_checkpoint(db)
            if checkpoint is None or client.cosigned_size == checkpoint.size:
                return False
            old = client.held_size or 0
            if old > checkpoint.size:
                raise WitnessRefused(
                    f"witness {client.name} holds a tree of {old} entries, the ledger's newest checkpoint has "
                    f"{checkpoint.size}: the ledger lost entries or checkpoints"
                )
            proof = consistency_proof(old, checkpoint.size, SqlNodeReader(db)) if 0 < old < checkpoint.size else []
            note, size = checkpoint.note, checkpoint.size
        status, answer, reason = client.add_checkpoint(format_add_checkpoint(old, proof, note))
        if status == 409 and answer.strip().isdigit() and int(answer) != old and not reason:
            client.held_size = int(answer)
            _check_not_forgotten(factory, client, client.held_size)
            continue
        if status != 200:
            raise WitnessRefused(
                f"witness {client.name} refuses the checkpoint of size {size} ({status}): {reason or answer.strip()}"
            )
        with unit_of_work(factory) as db:
            add_cosignature(db, keys, note_text=add_signatures(note, answer.splitlines(keepends=True)), now=now)
        client.held_size = client.cosigned_size = size
        return True
    raise WitnessRefused(f"witness {client.name} holds another checkpoint at size {client.held_size}")


def send_to_witnesses(
    factory: sessionmaker[Session], keys: LedgerKeys, clients: list[WitnessClient], *, now: datetime
) -> None:
    """One beat: every witness gets the newest checkpoint; a failure is logged and retried at the next beat."""
    for client in clients:
        try:
            send_checkpoint(factory, keys, client, now=now)
        except WitnessForgot as forgot:
            client.held_size = client.cosigned_size = None  # ask again next time
            client.log(logging.ERROR, "forgot", "%s", forgot)
        except WitnessRefused as refusal:
            client.held_size = client.cosigned_size = None  # ask again next time
            client.log(logging.ERROR, "refused", "LEDGER WITNESS REFUSES: %s", refusal)
        except WitnessUnavailable as trouble:
            client.log(logging.WARNING, "unavailable", "%s; retrying at the next beat", trouble)
        except Exception:
            client.log(logging.ERROR, "failed", "sending a checkpoint to witness %s failed", client.url, exc_info=True)


__all__ = ["WitnessClient", "WitnessForgot", "WitnessRefused", "WitnessUnavailable", "send_to_witnesses"]
