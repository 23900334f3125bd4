"""The upload key layout (SEC-TRUSTED-IMPORT) and the database connector's TLS and IAM settings."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from botocore.session import Session
from chatbot_app.rag import db
from chatbot_app.rag.uploads import (
    UploadRejected,
    UploadTarget,
    clean_file_name,
    document_id,
    new_target,
    parse_key,
)
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

WS = uuid.UUID("0b7e2a4c-1111-4a5b-9c8d-0123456789ab")
OTHER_WS = uuid.UUID("9f3e2a4c-2222-4a5b-9c8d-0123456789ab")


def test_a_target_round_trips_through_its_key() -> None:
    target = new_target(WS, "Quarterly report.pdf", "application/pdf", now_ns=1_700_000_000_000_000_000)
    assert target.key == f"workspaces/{WS}/{target.document_id}/1700000000000000000/Quarterly report.pdf"
    assert parse_key(target.key) == target
    assert target.key.startswith(UploadTarget.workspace_prefix(WS))


def test_the_same_file_name_is_the_same_document_in_one_workspace_only() -> None:
    first = new_target(WS, "notes.md", "text/markdown", now_ns=1)
    again = new_target(WS, "NOTES.md", "text/markdown", now_ns=2)
    elsewhere = new_target(OTHER_WS, "notes.md", "text/markdown", now_ns=3)
    assert first.document_id == again.document_id
    assert again.version > first.version
    assert elsewhere.document_id != first.document_id


@pytest.mark.parametrize("name", [
    "../escape.pdf", "a/b.pdf", "..\\win.pdf", ".hidden.pdf", "", " ", "x" * 201 + ".pdf", "tab\t.pdf",
    "quote\".pdf", "new\nline.pdf", "percent%2f.pdf",
])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(UploadRejected, match="fileName"):
        clean_file_name(name)


def test_types_and_content_types_are_checked() -> None:
    with pytest.raises(UploadRejected, match="unsupported file type '.exe'"):
        new_target(WS, "tool.exe", "application/octet-stream")
    with pytest.raises(UploadRejected, match="contentType for a pdf file must be 'application/pdf'"):
        new_target(WS, "report.pdf", "text/html")
    with pytest.raises(UploadRejected, match="file type 'html' is not allowed here; allowed: pdf, txt"):
        new_target(WS, "page.html", "text/html", allowed_formats=frozenset({"pdf", "txt"}))


@pytest.mark.parametrize("key", [
    "uploads/x.pdf",
    f"workspaces/{WS}/{uuid.uuid4()}/1/report.pdf",  # document id not derived from the name
    f"workspaces/{WS}/{document_id(WS, 'a.pdf')}/1/../a.pdf",
    f"workspaces/{WS}/{document_id(WS, 'a.exe')}/1/a.exe",
    f"workspaces/{WS}/{document_id(WS, 'a.pdf')}/x/a.pdf",
    f"workspaces/{WS}/{document_id(WS, 'a.pdf')}/1/a.pdf/extra",
])
def test_keys_outside_the_layout_are_refused(key: str) -> None:
    with pytest.raises(UploadRejected):
        parse_key(key)


@given(st.text(min_size=1, max_size=60))
def test_any_accepted_name_stays_inside_the_workspace_prefix(name: str) -> None:
    try:
        target = new_target(WS, name + ".txt", "text/plain", now_ns=5)
    except UploadRejected:
        return
    assert target.key.startswith(f"workspaces/{WS}/{target.document_id}/5/")
    assert "/" not in target.file_name and ".." not in target.key.split("/")
    assert parse_key(target.key) == target


def test_the_ca_bundle_holds_only_current_amazon_rds_root_cas() -> None:
    with open(db.ca_bundle_path(), "rb") as handle:
        certificates = x509.load_pem_x509_certificates(handle.read())
    assert len(certificates) >= 30
    now = datetime.datetime.now(datetime.UTC)
    for certificate in certificates:
        subject = certificate.subject.rfc4514_string()
        assert "OU=Amazon RDS" in subject and "O=Amazon Web Services" in subject, subject
        assert certificate.not_valid_after_utc > now, subject
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert constraints.ca, subject
    names = {c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value for c in certificates}
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        assert any(f" {region} " in str(name) for name in names), region


def test_the_iam_connector_signs_a_token_and_verifies_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(db.psycopg, "connect", lambda **kwargs: calls.append(kwargs) or "conn")
    rds = Session().create_client("rds", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                                  aws_secret_access_key="secret")  # noqa: S106  # nosec B106
    env = {"DB_HOST": "db.cluster-abc.eu-west-1.rds.amazonaws.com", "DB_PORT": "5433", "DB_NAME": "chatbot",
           "DB_USER": "chatbot_app", "AWS_REGION": "eu-west-1"}
    assert db.connector_from_env(env, rds)() == "conn"
    (kwargs,) = calls
    assert kwargs["sslmode"] == "verify-full" and kwargs["sslrootcert"] == db.ca_bundle_path()
    assert kwargs["user"] == "chatbot_app" and kwargs["port"] == 5433
    assert "Action=connect" in kwargs["password"] and "DBUser=chatbot_app" in kwargs["password"]
    assert kwargs["password"].startswith("db.cluster-abc.eu-west-1.rds.amazonaws.com:5433/")


def test_a_missing_database_setting_is_named() -> None:
    with pytest.raises(db.DatabaseConfigError, match="set DB_HOST, DB_USER"):
        db.connector_from_env({"DB_PORT": "5433", "DB_NAME": "chatbot"})
    with pytest.raises(db.DatabaseConfigError, match="DB_PORT must be a port number, got 'x'"):
        db.connector_from_env({"DB_HOST": "h", "DB_PORT": "x", "DB_NAME": "n", "DB_USER": "u"})
