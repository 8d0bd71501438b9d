"""Settings from the environment (prefix ``GGZY_``), with defaults that run the embedded platform."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GGZY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded database, blobs and keys live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in data_dir")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    session_hours: int = Field(default=8, description="How long a login session lasts")
    login_nonce_seconds: int = Field(default=120, description="How long a certificate-login nonce is valid")
    sqlite_busy_timeout_ms: int = 10_000
    demo_on_first_start: bool = Field(
        default=False, description="Load the demo into an empty database at `ggzy serve` (as `--demo` does)"
    )
    documents_max_mb: int = Field(default=200, description="Largest tender documents accepted")
    expert_pool_rule: str = Field(
        default="nearest_first",
        pattern="^(nearest_first|together)$",
        description="How a committee is drawn from the expert pools open to a centre (decision 0041): "
        "nearest_first (its own region's pools, then each region above as needed) or together (all at once)",
    )
    bid_max_mb: int = Field(default=500, description="Largest sealed bid envelope accepted")
    storage_recovery_grace_hours: float = Field(
        default=24.0, description="Unreferenced staged uploads younger than this are kept at start (a request's)"
    )
    ledger_origin: str = Field(default="ggzy.local/ledger", description="The ledger's name in its checkpoints")
    ledger_checkpoint_seconds: float = Field(default=1.0, description="Checkpoint cadence while events arrive")
    ledger_background: bool = Field(default=True, description="Integrate and checkpoint in a background thread")
    auction_sweep_seconds: float = Field(
        default=60.0, ge=0,
        description="How often the platform releases the deposits of rights trades whose bidding ended (decision "
        "0053); 0: never by itself (with ledger_background off, never either)",
    )  # fmt: skip
    ledger_key_file: Path | None = Field(
        default=None,
        description="PEM file with the checkpoint signing keys (`ggzy ledger keygen --out FILE`), kept outside "
        "data_dir; unset: data_dir/ledger-*.pem, which anyone with the data files could use to re-sign a rewrite",
    )
    ledger_pkcs11_module: str = Field(
        default="", description="PKCS#11 module holding the Ed25519 checkpoint key (e.g. libsofthsm2.so); empty: none"
    )
    ledger_pkcs11_token: str = Field(default="ggzy-ledger", description="Label of the PKCS#11 token")
    ledger_pkcs11_key_label: str = Field(default="ggzy-ledger-ed25519", description="Label of the key in the token")
    ledger_pkcs11_pin: str = Field(default="", description="The token's user PIN")
    ledger_witness_urls: str = Field(
        default="", description="Witnesses that cosign each checkpoint (tlog-witness), comma-separated base URLs"
    )
    # bid deposits (decision 0031): the bank's demand-deposit rate (活期存款利率) and its day count, for the
    # interest refunded with a deposit (招标投标法实施条例 第31条、第57条: 银行同期存款利息): the bank's rate
    deposit_interest_annual_rate: Decimal = Field(
        default=Decimal("0.0035"), ge=0, le=1, description="Annual demand-deposit rate, 0.0035 = 0.35%"
    )
    deposit_interest_day_basis: int = Field(default=360, ge=360, le=366, description="Days of the interest year")
    platform_name: str = Field(default="公共资源交易平台", description="The platform's name on its documents")
    documents_key_file: Path | None = Field(
        default=None,
        description="PEM file with the document-signing key and certificate (`ggzy documents keygen --out FILE`); "
        "unset: data_dir/documents-signing-*.pem, created at first use",
    )
    documents_font: Path | None = Field(
        default=None,
        description="A TrueType/OpenType font (or .ttc) with Chinese glyphs for the PDF documents; unset: the first "
        "of the usual system fonts found (ggzy.documents.fonts.CANDIDATES)",
    )
    public_origin: str = Field(
        default="",
        description="The portal's origin as users' browsers reach it (https://ggzy.example.cn): named in every "
        "certificate login's signature and in the tender URLs the pages give the assistant. Required wherever the "
        "portal is reached under another name than this computer's: unset, only requests addressed to 127.0.0.1 "
        "or localhost may log in by certificate (the Host header is the client's to write)",
    )
    assistant_url: str = Field(
        default="http://127.0.0.1:17170",
        description="Where the pages find the bidder's local assistant (`ggzy assistant serve`, on its computer): "
        "http://127.0.0.1:<port>, the only address it listens on",
    )

    @field_validator("public_origin")
    @classmethod
    def _an_origin(cls, value: str) -> str:
        """``scheme://host[:port]`` as browsers write it (lower case, no default port, no path), https unless the
        host is this computer."""
        text = value.strip()
        if not text:
            return ""
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
            raise ValueError(f"public_origin must look like https://host[:port], not {value!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"public_origin must look like https://host[:port], not {value!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"public_origin must use https (http only for this computer), not {value!r}")
        port = parts.port
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        default = {"http": 80, "https": 443}[parts.scheme]
        return f"{parts.scheme}://{host.lower()}" + (f":{port}" if port and port != default else "")

    @field_validator("assistant_url")
    @classmethod
    def _the_loopback(cls, value: str) -> str:
        """The assistant listens on 127.0.0.1 only: another name (``localhost`` may resolve to ::1 first, where
        another user's program can listen) would let a relay pass for it."""
        parts = urlsplit(value.strip())
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port or parts.path not in {"", "/"}:
            raise ValueError(f"assistant_url must be http://127.0.0.1:<port>, not {value!r}")
        return f"http://127.0.0.1:{parts.port}"

    bank_url: str = Field(
        default="", description="The bank's 银企直连 endpoint (`ggzy bank serve` in a demo); empty: no bank connected"
    )
    bank_public_key: str = Field(
        default="", description="The bank's Ed25519 notice-signing key, pinned (base64, as its GET /info serves it)"
    )
    bank_timeout_seconds: float = Field(default=5.0, description="How long a call to the bank may take")
    bank_worker_seconds: float = Field(
        default=2.0,
        gt=0,
        description="The finance worker's beat (ggzy.finance.worker): sub-accounts opened and "
        "refund orders sent at most this many seconds after they were asked for, while GGZY_BANK_URL is set",
    )
    portal_page_cache: bool = Field(
        default=True, description="Keep visitors' public pages for the current second (ggzy.portal.page_cache)"
    )

    @property
    def witness_urls(self) -> list[str]:
        return [url.strip() for url in self.ledger_witness_urls.split(",") if url.strip()]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ggzy.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
