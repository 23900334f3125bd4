"""Generate the settings documentation from the settings model, so config declarations cannot drift.

Renders (a) the `config:` block of Pulumi.yaml and (b) a Markdown table of every setting, written to
docs/settings-table.md and between the table markers of any file passed with --embed (e.g. README.md).

    python -m tools.settings_doc --write [--embed README.md]
    python -m tools.settings_doc --check [--embed README.md]   # exit 1 when a file is stale
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from components.settings import CONFIG_NAMESPACE, SettingSpec, setting_specs

START_MARKER = "<!-- settings-table:start -->"
END_MARKER = "<!-- settings-table:end -->"
TABLE_FILE = Path("docs/settings-table.md")
PROJECT_FILE = Path("Pulumi.yaml")
_CONFIG_BLOCK = re.compile(r"^config:.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)
_MARKED = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER), re.DOTALL)
_DESCRIPTION = "Generate Pulumi.yaml's config block and the settings table from the settings model."
_GENERATED_NOTE = ("<!-- Generated from components/settings/fields/ by "
                   "`python -m tools.settings_doc --write`; do not edit by hand. -->")


class DocError(Exception):
    """A file the tool must update is missing or has no place for the generated text."""


def render_config_block() -> str:
    """The `config:` block of Pulumi.yaml: one typed declaration per key of the project namespace."""
    declarations: dict[str, dict[str, Any]] = {}
    for spec in setting_specs():
        if spec.setting.namespace != CONFIG_NAMESPACE:
            continue  # other namespaces (aws:region) belong to their providers
        if spec.setting.config_type == "objects":
            continue  # project config cannot declare lists of mappings; the settings model checks them
        declaration: dict[str, Any] = {"type": spec.setting.config_type}
        if spec.setting.config_type == "array":
            declaration["items"] = {"type": "string"}
        if not spec.required:
            declaration["default"] = spec.default
        declaration["description"] = f"{spec.description} Allowed: {spec.setting.rule}."
        declarations[spec.name] = declaration
    return yaml.safe_dump({"config": declarations}, sort_keys=False, width=10_000, allow_unicode=True)


def render_table() -> str:
    """A Markdown table of every setting the stack reads."""
    rows = [
        "| Key | Type | Default | Allowed values / rule | Description | Dev-only relaxation |",
        "|---|---|---|---|---|---|",
    ]
    for spec in setting_specs():
        cells = (
            f"`{spec.key}`",
            spec.setting.config_type,
            _default_cell(spec),
            _escape(spec.setting.rule),
            _escape(spec.description),
            _escape(spec.setting.dev_relaxation or "none"),
        )
        rows.append("| " + " | ".join(cells) + " |")
    secrets = ", ".join(f"`{spec.key}`" for spec in setting_specs() if spec.setting.secret)
    intro = ("Set a value with `pulumi config set <key> <value>` "
             "(arrays: `pulumi config set --path 'chatbot:geoAllowlist[0]' GB`). Defaults are the secure "
             "choice; only `chatbot:environment: dev` allows the relaxations in the last column. "
             "Unknown `chatbot:` keys are errors. Secret settings (" + secrets + ") must be set with "
             "`pulumi config set --secret <key> <value>`; a plain value is an error.")
    return "\n".join([_GENERATED_NOTE, "", intro, "", *rows]) + "\n"


def render_table_file() -> str:
    return f"# Stack settings\n\n{START_MARKER}\n{render_table()}{END_MARKER}\n"


def with_config_block(project_text: str) -> str:
    """Pulumi.yaml text with its `config:` block replaced by the generated one (appended when absent)."""
    block = render_config_block()
    if _CONFIG_BLOCK.search(project_text):
        return _CONFIG_BLOCK.sub(lambda _: block, project_text, count=1)
    separator = "" if project_text.endswith("\n") or not project_text else "\n"
    return f"{project_text}{separator}{block}"


def with_embedded_table(text: str, source: Path) -> str:
    """Text with the generated table between the settings-table markers."""
    if not _MARKED.search(text):
        raise DocError(f"{source} has no {START_MARKER} ... {END_MARKER} markers to put the table between")
    return _MARKED.sub(lambda _: f"{START_MARKER}\n{render_table()}{END_MARKER}", text, count=1)


def expected_files(root: Path, embeds: Sequence[Path]) -> dict[Path, str]:
    """Each generated file with the content it should have."""
    project = root / PROJECT_FILE
    if not project.is_file():
        raise DocError(f"{project} does not exist; create it with name and runtime first")
    expected = {
        project: with_config_block(project.read_text(encoding="utf-8")),
        root / TABLE_FILE: render_table_file(),
    }
    for embed in embeds:
        if not embed.is_file():
            raise DocError(f"{embed} does not exist")
        expected[embed] = with_embedded_table(embed.read_text(encoding="utf-8"), embed)
    return expected


def stale_files(expected: dict[Path, str]) -> dict[Path, str]:
    """Files whose content differs from the expected one, each with a unified diff."""
    stale = {}
    for path, want in expected.items():
        have = path.read_text(encoding="utf-8") if path.is_file() else ""
        if have != want:
            diff = difflib.unified_diff(have.splitlines(keepends=True), want.splitlines(keepends=True),
                                        fromfile=f"{path} (current)", tofile=f"{path} (generated)")
            stale[path] = "".join(diff)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.settings_doc", description=_DESCRIPTION)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    action.add_argument("--write", action="store_true", help="rewrite the generated files")
    parser.add_argument("--embed", action="append", type=Path, default=[], metavar="FILE",
                        help="also keep the table between the settings-table markers of FILE (repeatable)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="project directory holding Pulumi.yaml (default: this repository)")
    args = parser.parse_args(argv)
    try:
        expected = expected_files(args.root, args.embed)
    except DocError as error:
        print(f"settings_doc: {error}", file=sys.stderr)
        return 2
    stale = stale_files(expected)
    if args.write:
        for path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected[path], encoding="utf-8")
            print(f"wrote {path}")
        return 0
    for path, diff in stale.items():
        print(f"{path} is stale: run `python -m tools.settings_doc --write` (same --embed files)\n{diff}")
    return 1 if stale else 0


def _default_cell(spec: SettingSpec) -> str:
    if spec.required:
        return "*(required)*"
    if spec.default == "":
        return "*(none)*"
    if isinstance(spec.default, bool):
        return f"`{str(spec.default).lower()}`"
    return f"`{spec.default}`"


def _escape(text: str) -> str:
    """Escape Markdown outside `code spans`, so rules with `*`, `_` or `|` render as written."""
    parts = text.split("`")
    for index, part in enumerate(parts):
        # GitHub tables split cells on `|` even inside code spans, so that one is escaped everywhere.
        if index % 2 == 0:
            parts[index] = re.sub(r"([\\|*_<>\[\]])", r"\\\1", part)
        else:
            parts[index] = part.replace("|", "\\|")
    return "`".join(parts)


if __name__ == "__main__":
    sys.exit(main())
