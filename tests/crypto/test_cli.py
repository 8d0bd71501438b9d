"""`ggzy ca` commands, run through Typer's test runner against files in a temporary directory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ggzy.crypto import (
    CertificateRevoked,
    Suite,
    TrustStore,
    load_certificate,
    load_private_key_pem,
)
from ggzy.crypto.cli import ca_app
from tests.crypto.factories import BIDDER_CREDIT_CODE, EMPLOYER_CREDIT_CODE, PERSON_ID

runner = CliRunner()


def run(*arguments: str | Path) -> str:
    result = runner.invoke(ca_app, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output
    return result.output


def test_init_issue_revoke_and_crl_work_end_to_end(tmp_path: Path) -> None:
    ca_dir, out = tmp_path / "ca", tmp_path / "out"
    run("init", "--dir", ca_dir, "--suite", "gm", "--name", "演示 CA")
    ca = load_certificate((ca_dir / "ca.pem").read_bytes())
    assert ca.suite is Suite.GM

    output = run(
        "issue", "--dir", ca_dir, "--kind", "entity", "--name", "某建设公司",
        "--credit-code", BIDDER_CREDIT_CODE, "--out", out, "--days", "30",
    )  # fmt: skip
    assert "某建设公司" in output
    certificate = load_certificate((out / "某建设公司.pem").read_text())
    key = load_private_key_pem((out / "某建设公司-key.pem").read_text())
    assert key.public_key == certificate.public_key
    assert certificate.credit_code == BIDDER_CREDIT_CODE
    assert certificate.not_after - certificate.not_before == timedelta(days=30)

    run("revoke", "--dir", ca_dir, "--serial", str(certificate.serial_number))
    run("crl", "--dir", ca_dir, "--out", out / "ca.crl")

    store = TrustStore([ca])
    store.add_crl((out / "ca.crl").read_bytes())
    with pytest.raises(CertificateRevoked):
        store.validate(certificate, at=certificate.not_before + timedelta(hours=1))


def test_issue_writes_a_person_certificate_of_an_intl_ca(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path / "ca", "--suite", "intl", "--name", "International Demo CA")
    run(
        "issue", "--dir", tmp_path / "ca", "--kind", "person", "--name", "李四",
        "--organization", "某招标代理公司", "--credit-code", EMPLOYER_CREDIT_CODE,
        "--person-id", PERSON_ID, "--out", tmp_path,
    )  # fmt: skip
    certificate = load_certificate((tmp_path / "李四.pem").read_bytes())
    assert certificate.suite is Suite.INTL
    assert certificate.kind == "person"
    assert (certificate.person_id, certificate.organization) == (PERSON_ID, "某招标代理公司")


def test_crl_without_out_prints_the_pem(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path, "--suite", "intl", "--name", "CA")
    assert run("crl", "--dir", tmp_path).startswith("-----BEGIN X509 CRL-----")


def test_init_twice_fails_with_a_message_and_keeps_the_ca(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path, "--suite", "gm", "--name", "CA")
    before = (tmp_path / "ca-key.pem").read_bytes()
    result = runner.invoke(ca_app, ["init", "--dir", str(tmp_path), "--suite", "gm", "--name", "CA"])
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.output
    assert (tmp_path / "ca-key.pem").read_bytes() == before


def test_a_bad_credit_code_fails_in_both_languages_and_writes_nothing(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path / "ca", "--suite", "gm", "--name", "CA")
    result = runner.invoke(
        ca_app,
        [
            "issue", "--dir", str(tmp_path / "ca"), "--kind", "entity", "--name", "某公司",
            "--credit-code", "91350100M000100Y44", "--out", str(tmp_path / "out"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "统一社会信用代码" in result.output
    assert "credit code" in result.output
    assert not (tmp_path / "out").exists()


def test_issue_refuses_to_overwrite_an_existing_key_file(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path / "ca", "--suite", "gm", "--name", "CA")
    arguments = [
        "issue", "--dir", tmp_path / "ca", "--kind", "entity", "--name", "某公司",
        "--credit-code", BIDDER_CREDIT_CODE, "--out", tmp_path / "out",
    ]  # fmt: skip
    run(*arguments)
    first_key = (tmp_path / "out" / "某公司-key.pem").read_bytes()
    result = runner.invoke(ca_app, [str(argument) for argument in arguments])
    assert result.exit_code == 1
    assert (tmp_path / "out" / "某公司-key.pem").read_bytes() == first_key


def test_revoking_an_unknown_serial_fails(tmp_path: Path) -> None:
    run("init", "--dir", tmp_path, "--suite", "intl", "--name", "CA")
    result = runner.invoke(ca_app, ["revoke", "--dir", str(tmp_path), "--serial", "77"])
    assert result.exit_code == 1
    assert "77" in result.output
