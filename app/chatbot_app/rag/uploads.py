"""Where an uploaded document lives in the uploads bucket, and what may be uploaded (SEC-TRUSTED-IMPORT).

One key layout is shared by the REST function that presigns the upload and the processor that ingests it:

    workspaces/<workspace uuid>/<document uuid>/<version>/<file name>

The document id is derived from the workspace and the file name, so uploading a file of the same name again
is a new version of the same document and replaces it. The version is the presign time in nanoseconds: a
later upload always has a larger version, which is what lets the store ignore late or redelivered events.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from .parsers import CONTENT_TYPES, EXTENSIONS, UnsupportedFormat, detect_format

PREFIX = "workspaces/"
MAX_FILE_NAME = 200
# Fixed namespace for document ids (uuid5): the same workspace + file name always gives the same id.
_DOCUMENT_NAMESPACE = uuid.UUID("6f1c1a52-8d2e-4f0b-9a53-3c2d8e5b7a10")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$")
_KEY = re.compile(
    r"^workspaces/(?P<ws>[0-9a-f-]{36})/(?P<doc>[0-9a-f-]{36})/(?P<version>[0-9]{1,20})/(?P<name>[^/]+)$"
)


class UploadRejected(ValueError):
    """An upload request or an object key that the import rules do not allow."""


@dataclass(frozen=True)
class UploadTarget:
    workspace_id: uuid.UUID
    document_id: uuid.UUID
    version: int
    file_name: str

    @property
    def key(self) -> str:
        return f"{self.workspace_prefix(self.workspace_id)}{self.document_id}/{self.version}/{self.file_name}"

    @property
    def format(self) -> str:
        return detect_format(self.file_name)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @staticmethod
    def workspace_prefix(workspace_id: uuid.UUID) -> str:
        return f"{PREFIX}{workspace_id}/"


def clean_file_name(name: str) -> str:
    """The file name as stored: NFC, no path, only characters that are safe in a key and a header."""
    name = unicodedata.normalize("NFC", name).strip()
    base = PurePosixPath(name.replace("\\", "/")).name
    if base != name or not base or len(base) > MAX_FILE_NAME or not _SAFE_NAME.match(base):
        raise UploadRejected(
            f"fileName must be a plain file name of 1..{MAX_FILE_NAME} characters (letters, digits, space "
            "and ._()+-, not starting with a dot or a separator), got " + repr(name[:MAX_FILE_NAME])
        )
    return base


def document_id(workspace_id: uuid.UUID, file_name: str) -> uuid.UUID:
    return uuid.uuid5(_DOCUMENT_NAMESPACE, f"{workspace_id}/{file_name.casefold()}")


def new_target(workspace_id: uuid.UUID, file_name: str, content_type: str,
               allowed_formats: frozenset[str] | None = None, now_ns: int | None = None) -> UploadTarget:
    """The target of a new upload, after checking the file type against the allowed formats."""
    name = clean_file_name(file_name)
    try:
        fmt = detect_format(name)
    except UnsupportedFormat as error:
        raise UploadRejected(str(error)) from error
    allowed = allowed_formats if allowed_formats is not None else frozenset(CONTENT_TYPES)
    if fmt not in allowed:
        raise UploadRejected(f"file type {fmt!r} is not allowed here; allowed: {', '.join(sorted(allowed))}")
    if content_type != CONTENT_TYPES[fmt]:
        raise UploadRejected(
            f"contentType for a {fmt} file must be {CONTENT_TYPES[fmt]!r}, got {content_type!r}"
        )
    version = now_ns if now_ns is not None else time.time_ns()
    return UploadTarget(workspace_id, document_id(workspace_id, name), version, name)


def parse_key(key: str) -> UploadTarget:
    """The target an object key names; refuses any key outside the layout (the processor trusts nothing)."""
    match = _KEY.match(key)
    if not match:
        raise UploadRejected(f"object key {key[:300]!r} is not workspaces/<uuid>/<uuid>/<version>/<name>")
    try:
        workspace = uuid.UUID(match["ws"])
        document = uuid.UUID(match["doc"])
    except ValueError as error:
        raise UploadRejected(f"object key {key[:300]!r} has a malformed id") from error
    name = clean_file_name(match["name"])
    if document != document_id(workspace, name):
        raise UploadRejected(f"object key {key[:300]!r}: the document id does not match the file name")
    if PurePosixPath(name).suffix.lower() not in EXTENSIONS:
        raise UploadRejected(f"object key {key[:300]!r} names an unsupported file type")
    return UploadTarget(workspace, document, int(match["version"]), name)
