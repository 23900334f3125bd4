"""Fixtures for rules/s3_transport.py (s3-deny-insecure-transport), on the baselines of ``s3.py``."""

from __future__ import annotations

from ..harness import UNKNOWN
from .s3 import BASE, DEV, DOCS, V2, document, inline, tls_statement

TLS = "s3-deny-insecure-transport"

CASES = [
    BASE.case(TLS),
    BASE.without(
        TLS,
        "no bucket policy",
        "documents-policy",
        message="no bucket policy refers to it",
        level="mandatory",
    ),
    V2.without(TLS, "BucketV2 twin without a bucket policy", "documents-policy"),
    V2.case(TLS, "BucketV2 twin with the deny"),
    BASE.mutate(
        TLS,
        "Allow instead of Deny",
        "documents-policy",
        "policy",
        document(tls_statement(DOCS, Effect="Allow")),
        message="has no such Deny statement",
    ),
    BASE.mutate(
        TLS,
        "SecureTransport true denies the wrong requests",
        "documents-policy",
        "policy",
        document(tls_statement(DOCS, Condition={"Bool": {"aws:SecureTransport": "true"}})),
    ),
    BASE.mutate(
        TLS,
        "objects only, not the bucket",
        "documents-policy",
        "policy",
        document(tls_statement(DOCS, Resource=f"arn:aws:s3:::{DOCS}/*")),
    ),
    BASE.mutate(
        TLS,
        "only GetObject denied",
        "documents-policy",
        "policy",
        document(tls_statement(DOCS, Action="s3:GetObject")),
    ),
    BASE.mutate(
        TLS,
        "the deny names another bucket",
        "documents-policy",
        "policy",
        document(tls_statement("chatbot-other-1a2b3c")),
    ),
    BASE.mutate(
        TLS, "not JSON", "documents-policy", "policy", "{not json", message="is not a policy document"
    ),
    BASE.mutate(
        TLS, "policy text unknown at preview", "documents-policy", "policy", UNKNOWN, expect="not-evaluated"
    ),
    BASE.mutate(
        TLS,
        "principal AWS * and a boolean condition",
        "documents-policy",
        "policy",
        document(
            tls_statement(DOCS, Principal={"AWS": ["*"]}, Condition={"Bool": {"aws:SecureTransport": False}})
        ),
        expect="pass",
    ),
    BASE.mutate(
        TLS,
        "policy as a PolicyDocument object",
        "documents-policy",
        "policy",
        {"Version": "2012-10-17", "Statement": [tls_statement(DOCS, Resource="*")]},
        expect="pass",
    ),
    inline(BASE, "documents-policy", policy=document(tls_statement(DOCS))).case(TLS, "inline bucket policy"),
    inline(V2, "documents-policy", policy=document(tls_statement(DOCS))).case(TLS, "inline BucketV2 policy"),
    DEV.without(TLS, "dev stacks are no exception", "documents-policy", level="mandatory"),
]
