"""federationClientSecret: only as a Pulumi secret, held as SecretStr, never shown in text or errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pydantic import SecretStr

from components.settings import SettingsError, load_settings, settings_from_config
from components.settings.model import setting_specs
from tools.preview.project import SECRET_PLACEHOLDER, load_program

from .helpers import CLIENT_SECRET, DEV, OIDC, PROD, REPO, SAML, SECRET_KEY

SECRETS = frozenset({SECRET_KEY})
SET_SECRET = "`pulumi config set --secret chatbot:federationClientSecret <value>`"  # noqa: S105  # nosec B105


def test_only_the_client_secret_is_a_secret_setting() -> None:
    assert [spec.key for spec in setting_specs() if spec.setting.secret] == [SECRET_KEY]


def test_a_plain_client_secret_is_rejected_without_showing_it() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, **OIDC}, stack="dev")
    (problem,) = caught.value.problems  # "required" is not added on top: the value is there, just not secret
    assert problem.key == SECRET_KEY
    assert problem.message.startswith("must be a Pulumi secret, but the stack holds it as plain text")
    assert SET_SECRET in problem.message
    assert CLIENT_SECRET not in str(caught.value) and CLIENT_SECRET not in repr(caught.value)


def test_other_secret_keys_do_not_count() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, **OIDC}, stack="dev", secret_keys={"chatbot:federationClientId"})
    assert [problem.key for problem in caught.value.problems] == [SECRET_KEY]


def test_a_secret_client_secret_is_held_as_secret_str() -> None:
    settings = settings_from_config({**DEV, **OIDC}, stack="dev", secret_keys=SECRETS)
    assert isinstance(settings.federation_client_secret, SecretStr)
    assert settings.federation_client_secret.get_secret_value() == CLIENT_SECRET
    assert settings.uses_federation and settings.federation_provider == "oidc"
    for text in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump()),
                 repr(settings.federation_client_secret), f"{settings.federation_client_secret}"):
        assert CLIENT_SECRET not in text
    assert "**********" in repr(settings)
    assert hash(settings) == hash(settings_from_config({**DEV, **OIDC}, stack="dev", secret_keys=SECRETS))


def test_an_empty_plain_value_is_the_declared_default() -> None:
    # The CLI passes Pulumi.yaml's default ("") as plain config; that means "not set", not a leaked secret.
    settings = settings_from_config({**DEV, **SAML, SECRET_KEY: ""}, stack="dev")
    assert settings.federation_client_secret is None


def test_rule_messages_about_the_secret_never_show_it() -> None:
    config = {**PROD, **SAML, SECRET_KEY: CLIENT_SECRET, "chatbot:mfa": "OPTIONAL"}
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="prod", secret_keys=SECRETS)
    keys = [problem.key for problem in caught.value.problems]
    assert "chatbot:federationClientSecret, chatbot:federationProvider" in keys
    assert CLIENT_SECRET not in str(caught.value)


@pytest.fixture
def pulumi_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    runtime_settings.reset_options(project="chatbot", stack="dev")
    runtime_config.set_all_config({}, [])
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS", raising=False)
    yield
    runtime_config.set_all_config({}, [])
    runtime_settings.reset_options()


def test_load_settings_takes_secret_keys_from_the_runtime(pulumi_runtime: None) -> None:
    runtime_config.set_all_config({**DEV, **OIDC}, [SECRET_KEY])
    settings = load_settings()
    assert settings.federation_client_secret is not None
    assert settings.federation_client_secret.get_secret_value() == CLIENT_SECRET


def test_load_settings_takes_secret_keys_from_the_engine_environment(
    pulumi_runtime: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**DEV, **OIDC}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([SECRET_KEY]))
    assert load_settings().uses_federation


def test_load_settings_rejects_a_plain_secret(pulumi_runtime: None) -> None:
    runtime_config.set_all_config({**DEV, **OIDC}, [])
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert [problem.key for problem in caught.value.problems] == [SECRET_KEY]
    assert CLIENT_SECRET not in str(caught.value)


def _federated_project(tmp_path: Path, secret: object) -> Path:
    """The repository's Pulumi.yaml with a Pulumi.federated.yaml stack file that sets up OIDC."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "__main__.py").write_text("")
    config = {**DEV, **OIDC, SECRET_KEY: secret}
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    (tmp_path / "Pulumi.federated.yaml").write_text(text)
    return tmp_path


def test_a_stack_file_with_a_secure_client_secret_loads(tmp_path: Path, pulumi_runtime: None) -> None:
    # As `pulumi config set --secret` writes it; the offline preview marks the (undecryptable) value secret
    # and hands the runtime its config and secret keys, which load_settings reads.
    program = load_program(_federated_project(tmp_path, {"secure": "v1:AAAABBBBCCCC:encrypted"}), "federated")
    assert SECRET_KEY in program.secret_keys
    runtime_settings.reset_options(project="chatbot", stack=program.stack)
    runtime_config.set_all_config(program.config, program.secret_keys)
    settings = load_settings()
    assert settings.stack == "federated"
    assert settings.uses_federation and settings.federation_name == "Corp"
    assert settings.federation_client_secret is not None
    assert settings.federation_client_secret.get_secret_value() == SECRET_PLACEHOLDER
    assert settings.federation_group_claim == "groups"  # the declared default, as the CLI passes it


def test_a_stack_file_with_a_plain_client_secret_is_rejected(tmp_path: Path) -> None:
    program = load_program(_federated_project(tmp_path, CLIENT_SECRET), "federated")
    with pytest.raises(SettingsError) as caught:
        settings_from_config(program.config, stack=program.stack, secret_keys=program.secret_keys)
    assert [problem.key for problem in caught.value.problems] == [SECRET_KEY]
    assert SET_SECRET in caught.value.problems[0].message
    assert CLIENT_SECRET not in str(caught.value)
