"""The Lambda code archive the stack deploys: built by tools/package_lambda.py, rebuilt only when stale.

The archive is reproducible (same inputs, same sha256), so Pulumi sees no change to the functions
unless app/chatbot_app or requirements-app.txt changed. A stamp beside the zip records the hash of
those inputs; a matching stamp means the zip on disk is current and no pip run is needed.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path

import pulumi

from tools import package_lambda


def inputs_digest(
    app_package: Path = package_lambda.APP_PACKAGE, requirements: Path = package_lambda.REQUIREMENTS
) -> str:
    """sha256 over the archive's inputs: every source file (path and bytes) and the requirements."""
    digest = hashlib.sha256()
    files = sorted(p for p in app_package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, requirements]:
        digest.update(str(path.relative_to(package_lambda.ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def app_archive(out: Path = package_lambda.DEFAULT_OUT) -> pulumi.FileArchive:
    """The chat application's archive, built first when missing or stale.

    An exclusive lock on a file beside the archive serialises concurrent programs (several previews at
    once build it only once; the others wait and then find it current)."""
    stamp = out.with_suffix(".inputs-sha256")
    wanted = inputs_digest()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out.is_file() and stamp.is_file() and stamp.read_text().strip() == wanted):
            try:
                package_lambda.build(out)
            except package_lambda.PackagingError as exc:
                raise pulumi.RunError(f"cannot build the Lambda archive {out}: {exc}") from None
            stamp.write_text(wanted + "\n", encoding="utf-8")
    return pulumi.FileArchive(str(out))
