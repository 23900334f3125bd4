"""The stack wizard writes stack files that load, asks bad answers again, never replaces a file unasked and
never writes a secret into the file."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from components.settings import SettingsError, StackSettings, setting_specs, settings_from_config
from tools.configure import answers
from tools.configure.cli import main
from tools.preview.project import load_program

REPO = Path(__file__).resolve().parents[2]
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0b5c9f0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
SECRET = "Wizard-s3cret-that-must-never-be-written"  # noqa: S105  # test data
SECRET_KEY = "chatbot:federationClientSecret"  # noqa: S105  # a config key
OIDC_ENV = {
    "CHATBOT_FEDERATION_PROVIDER": "oidc",
    "CHATBOT_FEDERATION_NAME": "Corp",
    "CHATBOT_FEDERATION_ISSUER_URL": "https://login.example.com/tenant",
    "CHATBOT_FEDERATION_CLIENT_ID": "chatbot-client",
    "CHATBOT_FEDERATION_CLIENT_SECRET": SECRET,
}
DEV_FLAGS = ["--set", "owner=platform-team", "--set", "aws:region=eu-west-1", "--set", "environment=dev"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's Pulumi.yaml (its config declarations) with a program entry point."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "__main__.py").write_text("", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no pulumi CLI unless a test adds one
    return tmp_path


def run(project: Path, *argv: str, stdin: str | None = None, environ: Mapping[str, str] | None = None,
        ) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--dir", str(project), *argv], stdin=io.StringIO(stdin or ""), stdout=out, stderr=err,
                environ=environ or {})
    return code, out.getvalue(), err.getvalue()


def load(project: Path, stack: str) -> StackSettings:
    """The stack as the program gets it: the CLI's view of Pulumi.yaml + the stack file, then the loader."""
    program = load_program(project, stack)
    return settings_from_config(program.config, stack, secret_keys=program.secret_keys)


def stack_config(project: Path, stack: str) -> dict[str, object]:
    return yaml.safe_load((project / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]


def test_flags_write_a_minimal_stack_that_loads(project: Path) -> None:
    code, out, err = run(project, "--stack", "ci", "--yes", *DEV_FLAGS, "--set", "geoAllowlist=GB, IE",
                         "--set", "mfa=OPTIONAL", "--set", "logRetentionDays=365", "--set", "natGateway=no")
    assert (code, err) == (0, "")
    assert "Wrote" in out
    # Only required keys and changed ones, fully namespaced; defaults (365, false) are left to Pulumi.yaml.
    assert stack_config(project, "ci") == {
        "chatbot:environment": "dev", "chatbot:owner": "platform-team", "chatbot:geoAllowlist": ["GB", "IE"],
        "aws:region": "eu-west-1", "chatbot:mfa": "OPTIONAL",
    }
    text = (project / "Pulumi.ci.yaml").read_text(encoding="utf-8")
    assert "  chatbot:geoAllowlist:\n    - GB\n    - IE\n" in text  # a YAML list, not a JSON string
    settings = load(project, "ci")
    assert (settings.environment, settings.region) == ("dev", "eu-west-1")
    assert settings.geo_allowlist == ("GB", "IE")
    assert settings.mfa == "OPTIONAL" and settings.log_retention_days == 365 and not settings.nat_gateway


def test_environment_variables_write_a_prod_stack(project: Path) -> None:
    environ = {"CHATBOT_STACK": "prod2", "CHATBOT_OWNER": "platform-team", "CHATBOT_REGION": "eu-west-1",
               "CHATBOT_CUSTOM_DOMAIN": "chat.example.com", "CHATBOT_CERTIFICATE_ARN": CERT,
               "CHATBOT_MINIMUM_TLS_VERSION": "TLSv1.2_2021", "CHATBOT_AVAILABILITY_ZONE_COUNT": "3",
               "CHATBOT_BEDROCK_MODELS": '["amazon.nova-pro-v1:0"]', "OTHER": "ignored"}
    code, _, err = run(project, "--from-env", "CHATBOT_", "--yes", "--set", "availabilityZoneCount=2",
                       environ=environ)
    assert (code, err) == (0, "")
    settings = load(project, "prod2")
    assert settings.environment == "prod" and settings.minimum_tls_version == "TLSv1.2_2021"
    assert settings.availability_zone_count == 2  # --set wins over the environment
    assert settings.bedrock_models == ("amazon.nova-pro-v1:0",)
    written = stack_config(project, "prod2")
    assert written["chatbot:customDomain"] == "chat.example.com" and "chatbot:mfa" not in written


def test_invalid_flags_exit_2_listing_every_problem(project: Path) -> None:
    code, out, err = run(project, "--stack", "bad", "--yes", "--from-env", "CHATBOT_", "--set", "owner=x",
                         "--set", "region=eu-west-1", "--set", "logRetentionDays=8",
                         "--set", "natGatway=true",
                         "--set", "devTools=true", "--set", "quotaMessagesPerDay=many",
                         "--set", f"federationClientSecret={SECRET}",
                         environ={"CHATBOT_XRAY_TRACE": "true"})
    assert code == 2 and out == ""
    for expected in ("CHATBOT_XRAY_TRACE: unknown setting variable", "did you mean chatbot:natGateway?",
                     "chatbot:logRetentionDays: must be one of",
                     "chatbot:quotaMessagesPerDay: expected a whole",
                     "chatbot:devTools, chatbot:environment", "chatbot:customDomain, chatbot:certificateArn",
                     "chatbot:federationClientSecret is a secret"):
        assert expected in err
    assert SECRET not in err
    assert "(8 problems)" in err
    assert not (project / "Pulumi.bad.yaml").exists()


def test_yes_needs_a_stack_name(project: Path) -> None:
    code, _, err = run(project, "--yes", *DEV_FLAGS)
    assert code == 2 and "--yes needs a stack name" in err


def _lines(overrides: Mapping[str, list[str]]) -> str:
    """Interactive input: the stack name, then one line per setting in the model's order (blank keeps the
    default); a setting given several lines gets the later ones after it is asked again."""
    lines = ["qa"]
    for spec in setting_specs():
        lines += overrides.get(spec.key, [""])
    return "\n".join(lines) + "\n"


def test_interactive_walk_asks_a_bad_answer_again(project: Path) -> None:
    stdin = _lines({"chatbot:environment": ["staging-ish", "dev"], "chatbot:owner": ["", "team one"],
                    "aws:region": ["us-east-1"], "chatbot:logRetentionDays": ["8", "7"],
                    "chatbot:cognitoPlan": ["ESSENTIALS"], "chatbot:customerManagedKeys": ["no"],
                    "chatbot:privateSubnetIds": ["subnet-1", "-"], "chatbot:bedrockModels": ["[1, 2]", ""]})
    code, out, err = run(project, stdin=stdin)
    assert (code, err) == (0, "")
    assert out.count("Please answer again.") == 5
    assert "! chatbot:logRetentionDays: must be one of CloudWatch Logs' retention periods" in out
    assert '! chatbot:owner: must be 1-64 characters of letters' in out and '(got "")' in out
    assert "! chatbot:environment: must be one of dev, staging, prod" in out
    assert "! chatbot:privateSubnetIds: not subnet IDs: 'subnet-1'" in out
    assert "! chatbot:bedrockModels: expected a list of strings" in out
    # Help, rule, and the cost and security effect come from the settings model.
    nat = next(spec for spec in setting_specs() if spec.name == "natGateway")
    assert f"  Cost and security: {nat.setting.effect}" in out and nat.description in out
    settings = load(project, "qa")
    assert (settings.owner, settings.log_retention_days) == ("team one", 7)
    assert settings.cognito_plan == "ESSENTIALS"
    assert not settings.customer_managed_keys and settings.is_dev


def test_interactive_cross_field_problems_name_the_answers_and_ask_them_again(project: Path) -> None:
    stdin = _lines({"chatbot:owner": ["team"], "aws:region": ["eu-west-1"]})
    # environment stays prod: the four answers the rules name are asked again, in the model's order.
    stdin += "\n".join(["", "", "chat.example.com", CERT, "TLSv1.2_2021"]) + "\n"
    code, out, err = run(project, stdin=stdin)
    assert (code, err) == (0, "")
    assert "The answers do not make a valid stack (2 problems):" in out
    assert ("Change one or more of these answers: chatbot:customDomain, chatbot:certificateArn, "
            "chatbot:environment, chatbot:minimumTlsVersion") in out
    settings = load(project, "qa")
    assert settings.environment == "prod" and settings.custom_domain == "chat.example.com"


def test_declining_to_fix_or_ending_the_input_writes_nothing(project: Path) -> None:
    prod = _lines({"chatbot:owner": ["team"], "aws:region": ["eu-west-1"]})
    code, _, err = run(project, stdin=prod + "n\n")
    assert code == 2 and "the answers were left invalid; nothing was written" in err
    code, _, err = run(project, stdin="qa\ndev\n")
    assert code == 2 and "the input ended" in err
    assert not (project / "Pulumi.qa.yaml").exists()


def test_an_existing_file_is_never_replaced_without_force(project: Path) -> None:
    existing = project / "Pulumi.ci.yaml"
    existing.write_text("config:\n  chatbot:owner: keep-me\n", encoding="utf-8")
    code, _, err = run(project, "--stack", "ci", "--yes", *DEV_FLAGS)
    assert code == 2 and "Pulumi.ci.yaml already exists; pass --force" in err
    assert existing.read_text(encoding="utf-8") == "config:\n  chatbot:owner: keep-me\n"
    # Interactively, the name is asked again.
    code, out, _ = run(project, stdin="ci\n" + _lines({"chatbot:environment": ["dev"], "chatbot:owner": ["t"],
                                                         "aws:region": ["eu-west-1"]}))
    assert code == 0 and "Pulumi.ci.yaml already exists" in out and (project / "Pulumi.qa.yaml").is_file()
    assert existing.read_text(encoding="utf-8") == "config:\n  chatbot:owner: keep-me\n"
    code, _, _ = run(project, "--stack", "ci", "--yes", "--force", *DEV_FLAGS)
    assert code == 0 and load(project, "ci").owner == "platform-team"
    assert sorted(path.name for path in project.iterdir()) == [  # no temporary file left behind
        "Pulumi.ci.yaml", "Pulumi.qa.yaml", "Pulumi.yaml", "__main__.py"]


def test_force_keeps_the_secrets_provider_and_encrypted_values(project: Path) -> None:
    (project / "Pulumi.ci.yaml").write_text(
        "encryptionsalt: v1:abc:def\nconfig:\n  chatbot:owner: old\n"
        f"  {SECRET_KEY}:\n    secure: v1:ciphertext\n", encoding="utf-8")
    environ = {key: value for key, value in OIDC_ENV.items() if key != "CHATBOT_FEDERATION_CLIENT_SECRET"}
    code, _, err = run(project, "--stack", "ci", "--yes", "--force", "--from-env", "CHATBOT_", *DEV_FLAGS,
                       environ=environ)
    assert (code, err) == (0, "")
    document = yaml.safe_load((project / "Pulumi.ci.yaml").read_text(encoding="utf-8"))
    assert document["encryptionsalt"] == "v1:abc:def"
    assert document["config"][SECRET_KEY] == {"secure": "v1:ciphertext"}
    assert load(project, "ci").uses_federation


def test_secret_without_the_cli_is_a_marked_placeholder(project: Path) -> None:
    code, out, err = run(project, "--stack", "ci", "--yes", "--from-env", "CHATBOT_", *DEV_FLAGS,
                         environ=OIDC_ENV)
    assert (code, err) == (0, "")
    text = (project / "Pulumi.ci.yaml").read_text(encoding="utf-8")
    assert SECRET not in text and SECRET not in out
    command = f"pulumi config set --secret {SECRET_KEY} --stack ci"
    assert f"# SECRET NOT SET: {SECRET_KEY}" in text and f"#   {command}" in text and command in out
    with pytest.raises(SettingsError, match="federationClientSecret is required"):
        load(project, "ci")  # the file alone lacks the secret until the command is run


def _fake_pulumi(project: Path, exit_code: int) -> Path:
    bin_dir = project / "no-bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\nimport pathlib, sys\nhere = pathlib.Path(sys.argv[0]).parent\n"
                      "(here / 'argv').write_text('\\n'.join(sys.argv[1:]))\n"
                      "(here / 'stdin').write_text(sys.stdin.read())\n"
                      f"sys.exit({exit_code})\n", encoding="utf-8")
    script.chmod(0o755)
    return bin_dir


def test_secret_goes_to_the_cli_on_stdin_only(project: Path) -> None:
    bin_dir = _fake_pulumi(project, 0)
    code, out, err = run(project, "--stack", "ci", "--yes", "--from-env", "CHATBOT_", *DEV_FLAGS,
                         environ=OIDC_ENV)
    assert (code, err) == (0, "")
    assert (bin_dir / "argv").read_text().split("\n") == [
        "config", "set", "--secret", SECRET_KEY, "--stack", "ci", "--non-interactive"]
    assert (bin_dir / "stdin").read_text() == SECRET
    text = (project / "Pulumi.ci.yaml").read_text(encoding="utf-8")
    assert SECRET not in text and "SECRET NOT SET" not in text and SECRET not in out
    assert f"Set {SECRET_KEY} as a Pulumi secret" in out


def test_a_failing_cli_leaves_the_marker_and_exit_1(project: Path) -> None:
    _fake_pulumi(project, 1)
    code, out, _ = run(project, "--stack", "ci", "--yes", "--from-env", "CHATBOT_", *DEV_FLAGS,
                       environ=OIDC_ENV)
    assert code == 1
    text = (project / "Pulumi.ci.yaml").read_text(encoding="utf-8")
    assert "# SECRET NOT SET" in text and SECRET not in text and "pulumi stack init ci" in out


def test_interactive_secret_is_not_echoed_or_written(project: Path) -> None:
    overrides = {"chatbot:environment": ["dev"], "chatbot:owner": ["t"], "aws:region": ["eu-west-1"],
                 "chatbot:federationProvider": ["oidc"], "chatbot:federationName": ["Corp"],
                 "chatbot:federationIssuerUrl": ["https://login.example.com"],
                 "chatbot:federationClientId": ["client"], SECRET_KEY: [SECRET]}
    code, out, err = run(project, stdin=_lines(overrides))
    assert (code, err) == (0, "")
    assert SECRET not in out and SECRET not in (project / "Pulumi.qa.yaml").read_text(encoding="utf-8")


def test_answers_are_parsed_like_a_user_means_them() -> None:
    spec = {s.name: s for s in setting_specs()}
    assert answers.parse_answer("Yes", spec["natGateway"]) is True
    assert answers.parse_answer("maybe", spec["natGateway"]) == "maybe"  # left for the loader to refuse
    assert answers.parse_answer("GB IE,DE", spec["geoAllowlist"]) == ["GB", "IE", "DE"]
    assert answers.parse_answer('["GB"]', spec["geoAllowlist"]) == ["GB"]
    assert answers.parse_answer("-", spec["geoAllowlist"]) == []
    assert answers.parse_answer("-", spec["vpcId"]) == ""
    assert answers.parse_answer("30.0", spec["logRetentionDays"]) == 30
    topics = '[{"name": "Legal advice", "definition": "Advice on legal matters"}]'
    assert answers.parse_answer(topics, spec["guardrailDeniedTopics"]) == [
        {"name": "Legal advice", "definition": "Advice on legal matters"}]
    # Not a list of mappings: passed on for the loader to refuse.
    assert answers.parse_answer('["a"]', spec["guardrailDeniedTopics"]) == '["a"]'
    assert answers.parse_answer("-", spec["selfHostedModels"]) == []
    shown = answers.shown(json.loads(topics), spec["guardrailDeniedTopics"])
    assert shown == json.dumps(json.loads(topics)[0])
    assert answers.env_name(spec["logRetentionDays"], "CI_") == "CI_LOG_RETENTION_DAYS"
    assert answers.resolve_key("region")[0] == spec["region"]
    assert answers.resolve_key("chatbot:NATGATEWAY")[0] == spec["natGateway"]
    assert answers.resolve_key("nat")[0] is None


def test_the_module_runs_from_the_command_line(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.configure", "--dir", str(project), "--stack", "ci", "--yes",
         *DEV_FLAGS], capture_output=True, text=True, cwd=REPO, env=env, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert load(project, "ci").owner == "platform-team"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_repository_stacks_can_be_made_with_the_wizard(project: Path, stack: str) -> None:
    shutil.copy(REPO / f"Pulumi.{stack}.yaml", project / f"Pulumi.{stack}.yaml")
    original = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    flags = [part for key, value in original.items()
             for part in ("--set", f"{key}={answers.config_text(value)}")]
    code, _, err = run(project, "--stack", "again", "--yes", *flags)
    assert (code, err) == (0, "")
    assert load(project, "again").model_dump(exclude={"stack"}) == load(project, stack).model_dump(
        exclude={"stack"})
    # Values equal to their defaults (e.g. guardrailMode: create) are left out.
    assert set(stack_config(project, "again")) < set(original)
