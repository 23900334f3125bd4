"""REST workspaces, documents and uploads: readable by every signed-in user, managed by the workspace manager
and admin groups, all through the rag service's event contract; uploads as presigned POSTs for one exact key,
content type, size range and encryption (SEC-TRUSTED-IMPORT). 404 everywhere when the stack has no retrieval.
"""

from __future__ import annotations

import base64
import calendar
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from chatbot_app.core import aws, rag_client
from chatbot_app.core.config import ConfigError, from_env, get_config
from chatbot_app.rag.uploads import document_id

from .conftest import REGION, Tokens, call, scan
from .test_config import BASE

RAG_FUNCTION = "chatbot-rag"
BUCKET = "chat-uploads"
TITAN = "amazon.titan-embed-text-v2:0"
KMS_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0d7f5e8e-1111-4b2a-9c3d-2e4f5a6b7c8d"
MANAGER = ["user", "workspace_manager"]
WS_BODY = {"name": "Handbook", "embeddingModel": TITAN, "chunkSize": 400, "chunkOverlap": 40}
UPLOAD = {"fileName": "guide.txt", "contentType": "text/plain", "size": 120}
DISABLED = "retrieval is not enabled on this stack"
FAILED = "the retrieval service failed; try again in a moment"


class FakeRag:
    """The rag service's event contract (.scratch/RAG5-CONTRACT.md) in memory; records every request.
    `answer` replaces the next response (a refusal, a failure, something malformed)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, dict[str, Any]]] = {}
        self.hits: list[dict[str, Any]] = []
        self.answer: Any = None

    def __call__(self, event: dict[str, Any]) -> Any:
        self.requests.append(event)
        if self.answer is not None:
            answer, self.answer = self.answer, None
            return answer
        op, ws = event["op"], event.get("workspaceId")
        if op == "listWorkspaces":
            return _ok(workspaces=list(self.workspaces.values()))
        if op == "createWorkspace":
            fields = {k: v for k, v in event.items() if k != "op"}
            new = {"id": str(uuid.uuid4()), "dimension": 1024, **fields}
            self.workspaces[new["id"]] = new
            self.documents[new["id"]] = {}
            return _ok(workspace=new)
        if ws not in self.workspaces:
            return {"ok": False, "status": 404, "message": f"workspaceId: workspace {ws} not found"}
        docs = self.documents[ws]
        if op == "getWorkspace":
            return _ok(workspace=self.workspaces[ws])
        if op == "deleteWorkspace":
            del self.workspaces[ws], self.documents[ws]
            return _ok()
        if op == "listDocuments":
            return _ok(documents=list(docs.values()))
        if op == "registerUpload":
            doc = {"id": event["documentId"], "fileName": event["fileName"], "version": event["version"],
                   "status": "queued", "reason": None, "chunkCount": 0, "updatedAt": None}
            docs[doc["id"]] = doc
            return _ok(document=doc)
        if op == "deleteDocument":
            if docs.pop(event["documentId"], None) is None:
                return {"ok": False, "status": 404, "message": "documentId: document not found"}
            return _ok()
        if op == "search":
            return _ok(hits=self.hits)
        return {"ok": False, "status": 400, "message": f"op: unknown operation {op}"}

    @property
    def ops(self) -> list[str]:
        return [r["op"] for r in self.requests]


def _ok(**result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def enable_rag(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    values = {"RAG_FUNCTION": RAG_FUNCTION, "UPLOADS_BUCKET": BUCKET, "MAX_UPLOAD_BYTES": "1000", **env}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_config.cache_clear()


def fake_rag(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRag]:
    """Retrieval on, the rag service in-process (the fake), S3 mocked by moto (inside `ddb`'s mock_aws)."""
    enable_rag(monkeypatch)
    aws.client("s3", REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    fake = FakeRag()
    rag_client.set_transport(fake)
    yield fake
    rag_client.set_transport(None)


@pytest.fixture
def rag(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRag]:
    yield from fake_rag(monkeypatch)


def new_workspace(tokens: Tokens, **fields: Any) -> dict[str, Any]:
    status, body = call("POST", "/workspaces", tokens.make("mgr", MANAGER), {**WS_BODY, **fields})
    assert status == 201, body
    return body


# Who may do what --------------------------------------------------------------------------------------------
ROUTES = [
    ("GET", "/workspaces", None),
    ("POST", "/workspaces", WS_BODY),
    ("GET", "/workspaces/{ws}", None),
    ("DELETE", "/workspaces/{ws}", None),
    ("GET", "/workspaces/{ws}/documents", None),
    ("POST", "/workspaces/{ws}/documents", UPLOAD),
    ("DELETE", "/workspaces/{ws}/documents/{doc}", None),
]


def test_without_retrieval_every_workspace_route_is_404(ddb: Any, tokens: Tokens) -> None:
    admin, ws, doc = tokens.make("root", ["admin"]), str(uuid.uuid4()), str(uuid.uuid4())
    for method, path, body in ROUTES:
        status, answer = call(method, path.format(ws=ws, doc=doc), admin, body)
        assert status == 404, (method, path)
        assert answer["error"] == {"code": "retrieval_disabled", "message": DISABLED}
    status, answer = call("POST", "/sessions", admin, {"workspaceId": ws})
    assert status == 404 and answer["error"]["code"] == "retrieval_disabled"
    assert scan(ddb, "SESSIONS_TABLE") == []


def test_every_user_reads_workspaces_only_managers_change_them(rag: FakeRag, tokens: Tokens) -> None:
    ws = new_workspace(tokens)
    user = tokens.make("bob")
    status, body = call("GET", "/workspaces", user)
    assert status == 200 and body == {"workspaces": [ws]}
    assert call("GET", f"/workspaces/{ws['id']}", user) == (200, ws)
    seen = len(rag.requests)
    for method, path, payload in ROUTES:
        if method == "GET" and "documents" not in path:
            continue
        status, body = call(method, path.format(ws=ws["id"], doc=uuid.uuid4()), user, payload)
        assert status == 403, (method, path)
        assert body["error"]["message"].startswith("only members of the workspace_manager or admin group")
    assert len(rag.requests) == seen  # refused before the service is asked


@pytest.mark.parametrize("groups", [["workspace_manager"], ["admin"], ["Librarians"]])
def test_manager_and_admin_manage_workspaces_and_documents(
    rag: FakeRag, tokens: Tokens, monkeypatch: pytest.MonkeyPatch, groups: list[str]
) -> None:
    if groups == ["Librarians"]:
        monkeypatch.setenv("WORKSPACE_MANAGER_GROUP", "Librarians")
        get_config.cache_clear()
        assert call("POST", "/workspaces", tokens.make("m", ["workspace_manager"]), WS_BODY)[0] == 403
    token = tokens.make("m", groups)
    status, ws = call("POST", "/workspaces", token, {**WS_BODY, "hybridSearch": True})
    assert status == 201
    sent = {"op": "createWorkspace", **WS_BODY, "hybridSearch": True, "engine": "pgvector"}
    assert rag.requests[-1] == sent
    assert ws == {"id": ws["id"], "dimension": 1024, **WS_BODY, "hybridSearch": True, "engine": "pgvector"}
    status, ticket = call("POST", f"/workspaces/{ws['id']}/documents", token, UPLOAD)
    assert status == 201
    doc = ticket["document"]
    assert doc["id"] == str(document_id(uuid.UUID(ws["id"]), "guide.txt")) and doc["status"] == "queued"
    assert isinstance(doc["version"], str) and doc["version"].isdigit()  # a JavaScript-safe string
    assert call("GET", f"/workspaces/{ws['id']}/documents", token) == (200, {"documents": [doc]})
    assert call("DELETE", f"/workspaces/{ws['id']}/documents/{doc['id']}", token) == (204, None)
    status, body = call("DELETE", f"/workspaces/{ws['id']}/documents/{doc['id']}", token)
    assert status == 404 and body["error"]["message"] == "documentId: document not found"
    assert call("DELETE", f"/workspaces/{ws['id']}", token) == (204, None)
    assert call("GET", f"/workspaces/{ws['id']}", token)[0] == 404
    assert rag.requests[-1] == {"op": "getWorkspace", "workspaceId": ws["id"]}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"chunkOverlap": 201}, "chunkOverlap must be at most chunkSize/2 (200)"),
        ({"chunkSize": 15}, "chunkSize:"),
        ({"name": ""}, "name:"),
        ({"embeddingModel": "no spaces"}, "embeddingModel:"),
        ({"dimension": 256}, "dimension: unknown field"),
    ],
)
def test_bad_workspace_requests_never_reach_the_service(
    rag: FakeRag, tokens: Tokens, change: dict[str, Any], says: str
) -> None:
    status, body = call("POST", "/workspaces", tokens.make("m", MANAGER), {**WS_BODY, **change})
    assert status == 400 and says in body["error"]["message"]
    assert rag.requests == []


def test_path_ids_must_be_uuids(rag: FakeRag, tokens: Tokens) -> None:
    status, body = call("GET", "/workspaces/not-a-uuid", tokens.make())
    assert status == 404 and body["error"]["message"] == "no such workspaceId"
    assert call("GET", f"/workspaces/{str(uuid.uuid4()).upper()}", tokens.make())[0] == 404
    assert rag.requests == []


# Service answers mapped to HTTP ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "status", "code", "message"),
    [
        ({"ok": False, "status": 400, "message": "name: long"}, 400, "validation_error", "name: long"),
        ({"ok": False, "status": 409, "message": "exists"}, 409, "conflict", "exists"),
        ({"ok": False, "status": 413, "message": "too big"}, 413, "too_large", "too big"),
        ({"ok": False, "status": 500, "message": "pg down at 10.0.3.7"}, 502, "retrieval_error", None),
        ({"ok": True, "result": {"workspace": {"id": "x"}}}, 502, "retrieval_error", None),
        ({"ok": True}, 502, "retrieval_error", None),
        (["not", "an", "object"], 502, "retrieval_error", None),
    ],
)
def test_service_answers_become_http_errors(
    rag: FakeRag, tokens: Tokens, answer: Any, status: int, code: str, message: str | None
) -> None:
    rag.answer = answer
    got, body = call("POST", "/workspaces", tokens.make("m", MANAGER), WS_BODY)
    assert (got, body["error"]["code"]) == (status, code)
    expected = message or FAILED
    assert body["error"]["message"] == expected  # a failure's detail stays in the log


def _lambda(body: Any, **response: Any) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw)), **response}


def test_lambda_transport_invokes_the_rag_function_synchronously(ddb: Any, monkeypatch: pytest.MonkeyPatch,
                                                                 tokens: Tokens) -> None:
    enable_rag(monkeypatch)
    ws = {"id": str(uuid.uuid4()), "dimension": 1024, "hybridSearch": False, "engine": "pgvector", **WS_BODY}
    client = aws.client("lambda", REGION)
    stubber = Stubber(client)
    expected = {"FunctionName": RAG_FUNCTION, "InvocationType": "RequestResponse", "Payload": ANY}
    stubber.add_response("invoke", _lambda({"ok": True, "result": {"workspaces": [ws]}}), expected)
    timeout = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 25.02 seconds"}
    stubber.add_response("invoke", _lambda(timeout, FunctionError="Unhandled"), expected)
    stubber.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.lambda.Invoke", lambda params, **_: sent.append(params)
    )
    with stubber:
        assert call("GET", "/workspaces", tokens.make()) == (200, {"workspaces": [ws]})
        for _ in range(2):
            status, body = call("GET", "/workspaces", tokens.make())
            assert status == 502 and body["error"]["message"] == FAILED
        stubber.assert_no_pending_responses()
    assert json.loads(sent[0]["Payload"]) == {"op": "listWorkspaces"}


# Uploads (SEC-TRUSTED-IMPORT) ------------------------------------------------------------------------------
EXEMPT_FIELDS = {"policy", "x-amz-signature", "file"}


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    return json.loads(base64.b64decode(fields["policy"]))


def admits(policy: dict[str, Any], form: dict[str, str], size: int) -> bool:
    """S3's documented POST policy rules, evaluated here because moto does not evaluate policies: every
    condition holds, and every form field except the signature, the policy, the file and x-ignore-* is
    named by a condition."""
    values = {name.lower(): value for name, value in form.items()} | {"bucket": BUCKET}
    named = set()
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            condition = ["eq", f"${name}", wanted]
        if condition[0] == "content-length-range":
            if not condition[1] <= size <= condition[2]:
                return False
            continue
        op, field, wanted = condition
        name = field.removeprefix("$").lower()
        named.add(name)
        got = values.get(name)
        if got is None or (op == "eq" and got != wanted):
            return False
        if op == "starts-with" and not got.startswith(wanted):
            return False
    unnamed = {n for n in values if n not in named | EXEMPT_FIELDS and not n.startswith("x-ignore-")}
    return not unnamed


def upload(tokens: Tokens, ws: str, **fields: Any) -> tuple[int, Any]:
    return call("POST", f"/workspaces/{ws}/documents", tokens.make("m", MANAGER), {**UPLOAD, **fields})


def test_upload_is_a_presigned_post_for_one_key_type_size_and_encryption(
    rag: FakeRag, tokens: Tokens
) -> None:
    ws = new_workspace(tokens)["id"]
    before = time.time()
    status, ticket = upload(tokens, ws)
    assert status == 201
    doc, post = ticket["document"], ticket["upload"]
    (register,) = [r for r in rag.requests if r["op"] == "registerUpload"]
    assert register == {"op": "registerUpload", "workspaceId": ws, "documentId": doc["id"],
                        "fileName": "guide.txt", "version": int(doc["version"])}
    key = f"workspaces/{ws}/{doc['id']}/{doc['version']}/guide.txt"
    assert post["url"] == f"https://{BUCKET}.s3.{REGION}.amazonaws.com/"  # regional, SigV4
    fields = post["fields"]
    assert fields["key"] == key and fields["Content-Type"] == "text/plain"
    assert fields["x-amz-server-side-encryption"] == "AES256"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = policy_of(fields)
    conditions = policy["conditions"]
    for expected in ({"bucket": BUCKET}, {"key": key}, {"Content-Type": "text/plain"},
                     ["content-length-range", 1, 1000], {"x-amz-server-side-encryption": "AES256"}):
        assert expected in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expires = calendar.timegm(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before + 295 <= expires <= time.time() + 301
    assert post["expiresAt"][:16] == time.strftime("%Y-%m-%dT%H:%M", time.gmtime(expires))

    assert admits(policy, fields, 120) and admits(policy, fields, 1000)
    other_ws = f"workspaces/{uuid.uuid4()}/{doc['id']}/{doc['version']}/guide.txt"
    for form, size in [
        ({**fields, "key": other_ws}, 120),
        ({**fields, "key": key.replace("guide.txt", "other.txt")}, 120),
        ({**fields, "Content-Type": "text/html"}, 120),
        ({k: v for k, v in fields.items() if k != "x-amz-server-side-encryption"}, 120),
        ({**fields, "x-amz-server-side-encryption": "aws:kms"}, 120),
        ({**fields, "acl": "public-read"}, 120),
        (fields, 1001),
        (fields, 0),
    ]:
        assert not admits(policy, form, size), (form, size)

    # moto stores a POST of the issued form under the exact key (it does not evaluate POST policies, so
    # the refusals above cannot be shown against it).
    file = {"file": ("guide.txt", b"hello " * 20, "text/plain")}
    answer = requests.post(post["url"], data=fields, files=file, timeout=10)
    assert answer.status_code == 204
    stored = aws.client("s3", REGION).get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "text/plain" and stored["Body"].read() == b"hello " * 20


def test_kms_encryption_is_fixed_when_the_bucket_has_a_key(
    rag: FakeRag, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    enable_rag(monkeypatch, UPLOADS_KMS_KEY_ARN=KMS_KEY)
    ws = new_workspace(tokens)["id"]
    status, ticket = upload(tokens, ws, fileName="Report 2024.pdf", contentType="application/pdf")
    assert status == 201
    fields = ticket["upload"]["fields"]
    kms = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY}
    assert {k: fields[k] for k in kms} == kms
    conditions = policy_of(fields)["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert not admits(policy_of(fields), {**fields, "x-amz-server-side-encryption": "AES256"}, 10)


def test_oversized_upload_is_refused_before_anything_is_registered(rag: FakeRag, tokens: Tokens) -> None:
    ws = new_workspace(tokens)["id"]
    status, body = upload(tokens, ws, size=1001)
    assert status == 413 and body["error"]["code"] == "file_too_large"
    assert "over the upload limit of 1000 bytes" in body["error"]["message"]
    assert rag.ops == ["createWorkspace"]


@pytest.mark.parametrize(
    ("fields", "code", "says"),
    [
        ({"fileName": "../../etc/passwd.txt"}, "upload_rejected", "plain file name"),
        ({"fileName": "sub/dir.txt"}, "upload_rejected", "plain file name"),
        ({"fileName": ".env.txt"}, "upload_rejected", "plain file name"),
        ({"fileName": "tool.exe", "contentType": "application/octet-stream"}, "upload_rejected", ".exe"),
        ({"contentType": "text/html"}, "upload_rejected", "contentType for a txt file must be 'text/plain'"),
        ({"fileName": "a.pdf", "contentType": "application/pdf"}, "upload_rejected", "'pdf' is not allowed"),
        ({"size": 0}, "validation_error", "size:"),
        ({"acl": "public-read"}, "validation_error", "acl: unknown field"),
    ],
)
def test_rejected_uploads_register_nothing(
    rag: FakeRag,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
    fields: dict[str, Any],
    code: str,
    says: str,
) -> None:
    enable_rag(monkeypatch, UPLOAD_FORMATS="txt, markdown")
    ws = new_workspace(tokens)["id"]
    status, body = upload(tokens, ws, **fields)
    assert (status, body["error"]["code"]) == (400, code) and says in body["error"]["message"]
    assert rag.ops == ["createWorkspace"]


def test_upload_to_a_missing_workspace_is_404_without_a_presigned_post(rag: FakeRag, tokens: Tokens) -> None:
    status, body = upload(tokens, str(uuid.uuid4()))
    assert status == 404 and "upload" not in body and rag.ops == ["registerUpload"]


def test_upload_without_a_bucket_is_a_deployment_error(
    rag: FakeRag, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = new_workspace(tokens)["id"]
    monkeypatch.delenv("UPLOADS_BUCKET")
    get_config.cache_clear()
    assert upload(tokens, ws)[0] == 500 and rag.ops == ["createWorkspace"]


# Configuration ------------------------------------------------------------------------------------------
def test_retrieval_is_off_by_default_with_safe_upload_defaults() -> None:
    config = from_env(BASE)
    assert not config.rag_enabled and config.rag_top_k == 5
    assert config.workspace_manager_group == "workspace_manager" and config.uploads_kms_key_arn is None
    assert config.max_upload_bytes == 50 * 1024 * 1024 and config.upload_formats == ()
    config = from_env({**BASE, "RAG_FUNCTION": RAG_FUNCTION, "UPLOAD_FORMATS": " PDF, txt,,pdf"})
    assert config.rag_enabled and config.upload_formats == ("pdf", "txt")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"RAG_TOP_K": "21"}, "RAG_TOP_K must be <= 20"),
        ({"RAG_TOP_K": "0"}, "RAG_TOP_K"),
        ({"MAX_UPLOAD_BYTES": "lots"}, "MAX_UPLOAD_BYTES"),
        ({"UPLOAD_FORMATS": "txt,exe"}, "UPLOAD_FORMATS: unknown format(s) exe"),
    ],
)
def test_retrieval_configuration_errors_name_the_variable(override: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_env({**BASE, **override})
