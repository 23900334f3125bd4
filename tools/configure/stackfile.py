"""Writing Pulumi.<stack>.yaml without ever losing a file, and secrets through the Pulumi CLI only."""

from __future__ import annotations

import os
import shutil
import subprocess  # only the user's own `pulumi` CLI, with a fixed argument list  # noqa: S404  # nosec B404
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.configure.answers import Value

# Top-level keys the Pulumi CLI writes for the stack's secrets provider: without them, existing `secure:`
# values can no longer be decrypted, so an overwrite keeps them.
_ENCRYPTION_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")


class StackFileExists(Exception):
    """The stack file exists and --force was not given."""


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as in the repository's stack files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def secret_command(key: str, stack: str) -> str:
    return f"pulumi config set --secret {key} --stack {stack}"


@dataclass(frozen=True)
class Kept:
    """What an overwritten stack file keeps: its secrets provider and its encrypted values."""

    top: dict[str, Any]
    secure: dict[str, Any]


def kept_from(path: Path, secret_keys: tuple[str, ...]) -> Kept:
    if not path.is_file():
        return Kept({}, {})
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        return Kept({}, {})
    config = document.get("config") or {}
    secure = {key: config[key] for key in secret_keys
              if isinstance(config, dict) and isinstance(config.get(key), dict) and "secure" in config[key]}
    return Kept({key: document[key] for key in _ENCRYPTION_KEYS if key in document}, secure)


def render(stack: str, config: Mapping[str, Value], pending_secrets: tuple[str, ...] = (),
           kept: Kept = Kept({}, {})) -> str:
    """The stack file's text. `pending_secrets` get a marked comment with the command that sets them."""
    lines = [f"# Stack {stack}, written by `python -m tools.configure`. Settings not listed take the",
             "# defaults declared in Pulumi.yaml (see the settings table in README.md)."]
    document: dict[str, Any] = dict(kept.top)
    document["config"] = {**config, **kept.secure}
    body = yaml.dump(document, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=10_000)
    lines.append(body.rstrip("\n"))
    for key in pending_secrets:
        lines += [f"# SECRET NOT SET: {key} must be a Pulumi secret, never a value in this file. Run:",
                  f"#   {secret_command(key, stack)}",
                  "# and type the value when asked (or pipe it in)."]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str, *, force: bool) -> None:
    """Write through a temporary file in the same directory, then rename: a crash leaves either the old
    file or the new one, never half of one. Without `force` an existing file is never replaced."""
    if path.exists() and not force:
        raise StackFileExists(path)
    # Closed by the `with` below, before the rename.
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)  # a stack file holds no plain secrets; readable like the rest of the repo
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the file appeared meanwhile: no race replaces it
    except FileExistsError as error:
        raise StackFileExists(path) from error
    finally:
        temporary.unlink(missing_ok=True)


def pulumi_cli() -> str | None:
    return shutil.which("pulumi")


def set_secret(cli: str, key: str, value: str, stack: str, directory: Path) -> str | None:
    """Run `pulumi config set --secret KEY --stack STACK` with the value on stdin (never in argv, where
    process lists and shell history would show it). Returns the CLI's error text, or None on success."""
    result = subprocess.run(  # noqa: S603  # nosec B603
        [cli, "config", "set", "--secret", key, "--stack", stack, "--non-interactive"],
        input=value, capture_output=True, text=True, cwd=directory, check=False, timeout=120,
    )
    if result.returncode == 0:
        return None
    return (result.stderr or result.stdout).strip() or f"exit code {result.returncode}"
