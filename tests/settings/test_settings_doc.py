"""tools/settings_doc.py: Pulumi.yaml's config block and the settings table are generated and kept fresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from components.settings import StackSettings, setting_specs, settings_from_config
from tools import settings_doc

from .helpers import REPO, config_text

PROJECT_HEADER = "name: chatbot\nruntime:\n  name: python\n"


def test_repository_files_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    # Fails when the settings model changed without `python -m tools.settings_doc --write`.
    assert settings_doc.main(["--check", "--root", str(REPO), "--embed", str(REPO / "README.md")]) == 0, \
        capsys.readouterr().out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT_HEADER + "config:\n  stale:\n    type: string\n")
    return tmp_path


def test_check_reports_stale_files_and_write_fixes_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings_doc.main(["--check", "--root", str(project)]) == 1
    out = capsys.readouterr().out
    assert "Pulumi.yaml is stale" in out and "settings-table.md is stale" in out
    assert "-  stale:" in out  # the diff shows what will change

    assert settings_doc.main(["--write", "--root", str(project)]) == 0
    assert settings_doc.main(["--check", "--root", str(project)]) == 0
    text = (project / "Pulumi.yaml").read_text()
    assert text.startswith(PROJECT_HEADER)  # everything outside the config block is kept
    assert "stale" not in text


def test_config_block_is_appended_or_replaced_in_place() -> None:
    text = PROJECT_HEADER.rstrip("\n")
    updated = settings_doc.with_config_block(text)
    assert updated.startswith(PROJECT_HEADER + "config:\n")
    middle = "name: chatbot\nconfig:\n  old: 1\nruntime: python\n"
    assert settings_doc.with_config_block(middle).endswith("runtime: python\n")
    assert "old" not in settings_doc.with_config_block(middle)


def test_a_changed_description_is_stale(tmp_path: Path) -> None:
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    assert settings_doc.main(["--write", "--root", str(tmp_path)]) == 0
    project = tmp_path / "Pulumi.yaml"
    project.write_text(project.read_text().replace("Days that CloudWatch", "Days CloudWatch"))
    assert settings_doc.main(["--check", "--root", str(tmp_path)]) == 1


def test_embed_updates_between_markers(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(
        f"# Title\n\nbefore\n{settings_doc.START_MARKER}\nold table\n{settings_doc.END_MARKER}\nafter\n"
    )
    args = ["--root", str(project), "--embed", str(readme)]
    assert settings_doc.main(["--write", *args]) == 0
    assert settings_doc.main(["--check", *args]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{settings_doc.END_MARKER}\nafter\n")
    assert "old table" not in text
    assert "| `chatbot:rateLimitPerIp` | integer | `1000` |" in text

    readme.write_text(text.replace("| integer | `1000` |", "| integer | `999` |"))
    assert settings_doc.main(["--check", *args]) == 1


def test_embed_without_markers_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = project / "README.md"
    readme.write_text("# no markers\n")
    assert settings_doc.main(["--write", "--root", str(project), "--embed", str(readme)]) == 2
    assert "no <!-- settings-table:start -->" in capsys.readouterr().err
    assert readme.read_text() == "# no markers\n"


def test_missing_project_file_is_a_usage_error(tmp_path: Path) -> None:
    assert settings_doc.main(["--check", "--root", str(tmp_path)]) == 2


def _declarations() -> dict[str, dict[str, object]]:
    return yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]


def test_project_declares_exactly_the_chatbot_settings() -> None:
    declarations = _declarations()
    # Lists of mappings cannot be declared (project config types are scalars and arrays of them).
    assert list(declarations) == [
        spec.name for spec in setting_specs()
        if spec.setting.namespace == "chatbot" and spec.setting.config_type != "objects"
    ]
    python_types = {"string": str, "integer": int, "boolean": bool, "array": list}
    for name, declaration in declarations.items():
        assert set(declaration) <= {"type", "default", "description", "items"}, name
        assert declaration["type"] in python_types
        assert isinstance(declaration["description"], str) and declaration["description"]
        if declaration["type"] == "array":
            assert declaration["items"] == {"type": "string"}
        if "default" in declaration:
            assert type(declaration["default"]) is python_types[str(declaration["type"])], name
    assert "default" not in declarations["owner"]  # required: Pulumi asks for it


def test_declared_defaults_are_the_model_defaults() -> None:
    # The CLI passes declared defaults to the program; they must load to exactly the model's defaults.
    config = {
        f"chatbot:{name}": config_text(d["default"]) for name, d in _declarations().items() if "default" in d
    }
    config |= {"chatbot:environment": "dev", "chatbot:owner": "me", "aws:region": "us-east-1"}
    loaded = settings_from_config(config, stack="dev")
    for name, field in StackSettings.model_fields.items():
        if field.is_required() or name == "environment":
            continue
        assert getattr(loaded, name) == field.default, name


def test_table_lists_every_setting_with_its_rule() -> None:
    table = settings_doc.render_table()
    for spec in setting_specs():
        assert f"| `{spec.key}` | {spec.setting.config_type} |" in table
    assert "| `chatbot:owner` | string | *(required)* |" in table
    assert "false: data stores use AWS managed keys" in table
    assert "\\*.cloudfront.net" in table  # escaped so Markdown does not start emphasis


def test_the_secret_setting_is_declared_without_a_plaintext_value() -> None:
    # `secret: true` would make the CLI refuse the empty default as an unencrypted value, so secrecy is
    # enforced by the loader and stated in the description and the table instead.
    declaration = _declarations()["federationClientSecret"]
    assert declaration["default"] == ""
    assert "secret" not in declaration
    assert "pulumi config set --secret chatbot:federationClientSecret" in str(declaration["description"])
    table = settings_doc.render_table()
    assert "Secret settings (`chatbot:federationClientSecret`) must be set with" in table
