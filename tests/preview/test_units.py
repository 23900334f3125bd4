"""Unit tests of the offline preview's pieces: project config, pack config, synthetic outputs."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.proto import analyzer_pb2

from tools.preview import _synth
from tools.preview.pack_config import PackConfigError, reconcile
from tools.preview.project import SECRET_PLACEHOLDER, ProjectError, load_program
from tools.preview.report import SECRET, UNKNOWN, catalogue_ids, parse_suppressions, readable


def write_project(tmp_path, project: str, stack: str, name: str = "dev"):
    (tmp_path / "Pulumi.yaml").write_text(project)
    (tmp_path / f"Pulumi.{name}.yaml").write_text(stack)
    (tmp_path / "__main__.py").write_text("")
    return tmp_path


def test_config_merges_declarations_and_stack_values(tmp_path):
    write_project(
        tmp_path,
        """
name: demo
runtime: {name: python}
config:
  size: {type: integer, default: 2}
  tags: {type: array, items: {type: string}, default: [a]}
  flag: true
  aws:region: {value: us-east-1}
""",
        """
config:
  demo:size: 3
  note: bare keys get the project namespace
  aws:region: eu-west-1
  demo:nested: {a: [1, 2]}
  demo:password: {secure: v1:abc}
  demo:creds: {user: bob, pass: {secure: v1:def}}
""",
    )
    program = load_program(tmp_path, "dev")
    assert program.config == {
        "demo:size": "3",
        "demo:tags": '["a"]',
        "demo:flag": "true",
        "aws:region": "eu-west-1",
        "demo:note": "bare keys get the project namespace",
        "demo:nested": '{"a": [1, 2]}',
        "demo:password": SECRET_PLACEHOLDER,
        "demo:creds": json.dumps({"user": "bob", "pass": SECRET_PLACEHOLDER}),
    }
    assert program.secret_keys == ["demo:creds", "demo:password"]
    assert program.region == "eu-west-1"


@pytest.mark.parametrize(
    "declaration, stack, message",
    [
        (
            "owner: {type: string}",
            "config: {}",
            "demo:owner: required by Pulumi.yaml but not set in Pulumi.dev.yaml",
        ),
        (
            "size: {type: integer}",
            "config: {demo:size: big}",
            "demo:size: value in Pulumi.dev.yaml must be an integer",
        ),
        (
            "enabled: {type: boolean}",
            "config: {demo:enabled: yes please}",
            "demo:enabled: value in Pulumi.dev.yaml must be a boolean",
        ),
        (
            "xs: {type: array}",
            "config: {demo:xs: nope}",
            "demo:xs: value in Pulumi.dev.yaml must be an array",
        ),
        (
            "x: {type: object}",
            "config: {demo:x: 1}",
            "demo:x: Pulumi.yaml declares unsupported type 'object'",
        ),
    ],
)
def test_config_errors_name_the_key(tmp_path, declaration, stack, message):
    write_project(tmp_path, f"name: demo\nruntime: python\nconfig:\n  {declaration}\n", stack)
    with pytest.raises(ProjectError, match="invalid stack configuration") as caught:
        load_program(tmp_path, "dev")
    assert message in str(caught.value)


def test_non_python_runtime_and_missing_entry_point_are_clear(tmp_path):
    write_project(tmp_path, "name: demo\nruntime: nodejs\n", "config: {}")
    with pytest.raises(ProjectError, match="offline preview runs python programs"):
        load_program(tmp_path, "dev")
    write_project(tmp_path, "name: demo\nruntime: python\nmain: src/\n", "config: {}")
    with pytest.raises(ProjectError, match="entry point .* does not exist"):
        load_program(tmp_path, "dev")


def _info(*policies: analyzer_pb2.PolicyInfo) -> analyzer_pb2.AnalyzerInfo:
    return analyzer_pb2.AnalyzerInfo(name="pack", version="1", policies=list(policies))


def _policy(name: str, level=analyzer_pb2.MANDATORY, properties=None) -> analyzer_pb2.PolicyInfo:
    info = analyzer_pb2.PolicyInfo(name=name, enforcementLevel=level)
    if properties:
        info.configSchema.properties.update(properties)
    return info


def test_reconcile_gives_every_policy_its_default_level_and_schema_defaults():
    info = _info(
        _policy("a"), _policy("b", analyzer_pb2.ADVISORY, {"days": {"type": "integer", "default": 30}})
    )
    configured = reconcile(info, None)
    assert configured["a"].enforcementLevel == analyzer_pb2.MANDATORY
    assert configured["b"].enforcementLevel == analyzer_pb2.ADVISORY
    assert dict(configured["b"].properties) == {"days": 30}


def test_reconcile_all_then_specific_entries_win():
    info = _info(_policy("a"), _policy("b"))
    configured = reconcile(info, {"all": "advisory", "b": {"enforcementLevel": "disabled"}})
    assert configured["a"].enforcementLevel == analyzer_pb2.ADVISORY
    assert configured["b"].enforcementLevel == analyzer_pb2.DISABLED


def test_reconcile_applies_initial_config_before_the_file():
    info = _info(_policy("a", properties={"n": {"type": "integer", "default": 1}}))
    info.initialConfig["a"].enforcementLevel = analyzer_pb2.REMEDIATE
    info.initialConfig["a"].properties.update({"n": 2})
    assert dict(reconcile(info, None)["a"].properties) == {"n": 2}
    configured = reconcile(info, {"a": {"n": 5}})
    assert dict(configured["a"].properties) == {"n": 5}
    assert configured["a"].enforcementLevel == analyzer_pb2.REMEDIATE


def test_reconcile_reports_every_schema_problem_at_once():
    schema = {"n": {"type": "integer"}, "s": {"type": "string", "enum": ["x"]}}
    info = _info(_policy("a", properties=schema))
    with pytest.raises(PackConfigError) as caught:
        reconcile(info, {"a": {"n": "one", "s": "y"}})
    assert "a: n: 'one' is not of type 'integer'" in str(caught.value)
    assert "a: s: 'y' is not one of ['x']" in str(caught.value)


def test_deploy_outputs_fill_every_declared_output_with_a_typed_value():
    resource_id, outputs = _synth.deploy_outputs("aws:kms/key:Key", "k", {"description": "d"}, "eu-west-1")
    assert outputs["description"] == "d"
    assert outputs["arn"] == f"arn:aws:kms:eu-west-1:{_synth.ACCOUNT_ID}:key/{resource_id}"
    assert isinstance(outputs["keyId"], str)
    assert "enableKeyRotation" not in outputs  # an input the program left unset is not invented
    assert outputs["tagsAll"] == {}  # a computed-only map output
    assert _synth.deploy_outputs("aws:kms/key:Key", "k", {}, "eu-west-1")[0] == resource_id  # deterministic


def test_unknown_token_gets_only_inputs():
    _, outputs = _synth.deploy_outputs("nosuch:mod/thing:Thing", "t", {"a": 1}, "r")
    assert outputs == {"a": 1}


def test_policy_document_invoke_is_computed_like_the_provider():
    result = _synth.invoke_result(
        "aws:iam/getPolicyDocument:getPolicyDocument",
        {
            "statements": [
                {
                    "effect": "Deny",
                    "actions": ["s3:*"],
                    "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "principals": [{"type": "*", "identifiers": ["*"]}],
                    "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
                }
            ]
        },
        "r",
    )
    assert json.loads(result["json"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Principal": {"*": "*"},
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_readable_hides_secrets_and_marks_unknowns():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    assert readable({"a": secret, "b": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"], "c": 7.0}) == {
        "a": SECRET,
        "b": [UNKNOWN],
        "c": 7,
    }


def test_catalogue_ids_come_from_policy_tags():
    info = analyzer_pb2.PolicyInfo(name="p", tags=["SEC-KMS-ROTATION", "catalogue:SEC-S3-BASELINE", "kms"])
    assert catalogue_ids(info) == ["SEC-KMS-ROTATION", "SEC-S3-BASELINE"]


def test_suppressions_are_read_in_both_forms():
    assert parse_suppressions("suppressed: legacy bucket, ticket SEC-42", "urn:a") == [
        ("urn:a", "legacy bucket, ticket SEC-42")
    ]
    assert parse_suppressions("suppressed:\nurn:x\treason one\nurn:y\treason two", "") == [
        ("urn:x", "reason one"),
        ("urn:y", "reason two"),
    ]
    assert parse_suppressions("does not apply to asymmetric keys", "urn:a") == []


def test_yaml_booleans_follow_the_cli_not_yaml_1_1(tmp_path):
    write_project(
        tmp_path,
        "name: demo\nruntime: python\n",
        "config:\n  demo:mfa: ON\n  demo:flag: true\n  demo:x: no\n",
    )
    program = load_program(tmp_path, "dev")
    assert program.config == {"demo:mfa": "ON", "demo:flag": "true", "demo:x": "no"}


def test_deploy_outputs_resolve_python_keyword_modules_and_skip_unset_inputs():
    _, outputs = _synth.deploy_outputs(
        "aws:lambda/function:Function", "fn", {"runtime": "python3.14"}, "eu-west-1"
    )
    assert outputs["arn"].startswith("arn:aws:lambda:eu-west-1:")
    assert isinstance(outputs["invokeArn"], str) and outputs["name"]
    _, api = _synth.deploy_outputs(
        "aws:apigatewayv2/api:Api", "ws", {"protocolType": "WEBSOCKET"}, "eu-west-1"
    )
    assert "target" not in api and "apiEndpoint" in api


def test_deploy_outputs_give_host_names_that_look_like_host_names():
    _, outputs = _synth.deploy_outputs("aws:cloudfront/distribution:Distribution", "Site", {}, "us-east-1")
    assert outputs["domainName"] == outputs["domainName"].lower()
    assert outputs["domainName"].endswith(".cloudfront.offline.invalid")


def test_deploy_mode_arns_of_global_services_have_no_region() -> None:
    role_arn = _synth.deploy_outputs("aws:iam/role:Role", "r", {}, "eu-west-1")[1]["arn"]
    queue_arn = _synth.deploy_outputs("aws:sqs/queue:Queue", "q", {}, "eu-west-1")[1]["arn"]
    assert role_arn.startswith("arn:aws:iam::111122223333:role/")
    assert queue_arn.startswith("arn:aws:sqs:eu-west-1:111122223333:")


def test_deploy_mode_gives_an_rds_managed_master_secret() -> None:
    inputs = {"manageMasterUserPassword": True, "masterUserSecretKmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}
    outputs = _synth.deploy_outputs("aws:rds/cluster:Cluster", "db", inputs, "eu-west-1")[1]
    (secret,) = outputs["masterUserSecrets"]
    assert secret["secretArn"].startswith("arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!")
    assert secret["kmsKeyId"] == inputs["masterUserSecretKmsKeyId"]


def test_a_config_file_replaces_the_stack_file_as_the_cli_flag_does(tmp_path):
    write_project(tmp_path, "name: demo\nruntime: python\n", "config:\n  demo:size: 1\n")
    other = tmp_path / "examples" / "Pulumi.full.yaml"
    other.parent.mkdir()
    other.write_text("config:\n  demo:size: 9\n  demo:models: [{name: a, gpus: 2}]\n")
    program = load_program(tmp_path, "full", other)
    assert program.config["demo:size"] == "9"
    assert json.loads(program.config["demo:models"]) == [{"name": "a", "gpus": 2}]
    with pytest.raises(ProjectError, match="no stack file"):
        load_program(tmp_path, "full", tmp_path / "missing.yaml")


def test_the_stack_name_comes_from_the_config_file_name(tmp_path):
    from tools.preview.__main__ import _stack_of

    assert _stack_of(tmp_path / "Pulumi.dev-full.yaml") == "dev-full"
    with pytest.raises(ProjectError, match="--stack"):
        _stack_of(tmp_path / "settings.yaml")
