"""The offline preview end to end on a fixture program and pack that are not this repo's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.preview.__main__ import main
from tools.preview.project import SECRET_PLACEHOLDER

FIXTURES = Path(__file__).parent / "fixtures"
PROGRAM = FIXTURES / "program"
PACK = FIXTURES / "pack"


def run(tmp_path: Path, stack: str, *extra: str) -> tuple[int, dict | None]:
    report_file = tmp_path / f"{stack}.json"
    code = main(
        [
            "--cwd",
            str(PROGRAM),
            "--stack",
            stack,
            "--policy-pack",
            str(PACK),
            "--no-tree",
            "--json",
            str(report_file),
            *extra,
        ]
    )
    return code, json.loads(report_file.read_text()) if report_file.exists() else None


def by_name(report: dict, name: str) -> dict:
    return next(r for r in report["resources"] if r["name"] == name)


def test_preview_mode_leaves_computed_values_unknown(tmp_path):
    code, report = run(tmp_path, "test")
    assert code == 0
    sse = by_name(report, "bucket-sse")
    assert sse["inputs"]["bucket"] == "<unknown until deploy>"
    assert report["stackOutputs"]["keyArn"] == "<unknown until deploy>"
    # The SDK turned the unknown read into a "can't run during preview" advisory: reported, not a pass.
    assert [(n["policy"], n["urn"]) for n in report["notEvaluated"]] == [("sse-key", sse["urn"])]
    assert report["violations"] == []


def test_deploy_mode_makes_every_output_known(tmp_path):
    code, report = run(tmp_path, "test", "--mode", "deploy")
    assert code == 0
    assert report["mode"] == "deploy"
    assert report["notEvaluated"] == []
    key_arn = report["stackOutputs"]["keyArn"]
    assert key_arn.startswith("arn:aws:kms:eu-west-1:")
    sse = by_name(report, "bucket-sse")
    assert sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key_arn


def test_resource_options_and_graph_are_recorded(tmp_path):
    _, report = run(tmp_path, "test")
    box, logs, bucket, key = (by_name(report, n) for n in ("box", "box-logs", "bucket", "key"))
    sse = by_name(report, "bucket-sse")
    assert bucket["protect"] is True and bucket["retainOnDelete"] is False
    assert logs["retainOnDelete"] is True and logs["protect"] is False
    assert logs["parent"] == box["urn"]
    assert box["custom"] is False and logs["custom"] is True
    assert set(sse["dependencies"]) == {bucket["urn"], key["urn"]}
    assert sse["propertyDependencies"]["bucket"] == [bucket["urn"]]
    assert logs["inputs"]["retentionInDays"] == 7  # stack file overrides the project default 14


def test_stack_transforms_run_like_the_engine_runs_them(tmp_path):
    _, report = run(tmp_path, "test")
    assert by_name(report, "key")["inputs"]["tags"] == {"fixture": "yes"}
    assert by_name(report, "box-logs")["inputs"]["tags"] == {"fixture": "yes"}
    assert "tags" not in by_name(report, "bucket")["inputs"]


def test_secure_config_is_a_secret_and_never_printed(tmp_path, capsys):
    _, report = run(tmp_path, "test")
    assert report["stackOutputs"]["tokenIsSecret"] is True
    assert SECRET_PLACEHOLDER not in json.dumps(report)
    assert SECRET_PLACEHOLDER not in capsys.readouterr().out


def test_mandatory_violation_exits_1_with_policy_and_ids(tmp_path):
    code, report = run(tmp_path, "norotate")
    assert code == 1
    [violation] = report["violations"]
    assert violation["policy"] == "kms-rotation"
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["catalogueIds"] == ["FIX-KMS-1"]
    assert violation["urn"] == by_name(report, "key")["urn"]
    assert report["summary"]["mandatory"] == 1


def test_pack_config_changes_level_and_applies_schema_defaults(tmp_path):
    code, report = run(tmp_path, "test")
    assert code == 0 and report["violations"] == []  # schema default maxDays=30 > 7 days
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"max-retention": {"enforcementLevel": "mandatory", "maxDays": 3}}))
    code, report = run(tmp_path, "test", "--policy-pack-config", str(config))
    assert code == 1
    assert [(v["policy"], v["enforcementLevel"]) for v in report["violations"]] == [
        ("max-retention", "mandatory")
    ]
    assert (
        next(p for p in report["policies"] if p["name"] == "max-retention")["enforcementLevel"] == "mandatory"
    )


def test_all_key_sets_every_level(tmp_path):
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"all": "advisory"}))
    code, report = run(tmp_path, "norotate", "--policy-pack-config", str(config))
    assert code == 0
    assert [v["enforcementLevel"] for v in report["violations"]] == ["advisory"]


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {"max-retention": {"maxDays": "thirty"}},
            "max-retention: maxDays: 'thirty' is not of type 'integer'",
        ),
        ({"max-retention": "sometimes"}, "'sometimes' is not a valid enforcement level"),
        ({"no-such-policy": {"x": 1}}, "'no-such-policy' has no enforcement level"),
    ],
)
def test_invalid_pack_config_exits_2(tmp_path, capsys, config, expected):
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(config))
    code, report = run(tmp_path, "test", "--policy-pack-config", str(path))
    assert code == 2 and report is None
    assert expected in capsys.readouterr().err.replace("\n", " ")


def test_stack_policy_sees_parents_and_dependencies(tmp_path):
    code, report = run(tmp_path, "orphan")
    assert code == 1
    assert [(v["policy"], v["urn"].rsplit("::", 1)[1]) for v in report["violations"]] == [
        ("graph", "orphan-logs")
    ]


@pytest.mark.parametrize(
    "stack, shown, hidden",
    [
        (
            "crash",
            ["ValueError: boom from the fixture program", '__main__.py", line'],
            ["tools/preview", "_host"],
        ),
        (
            "runerror",
            ["fixture:mode run-error: the program refused this configuration"],
            ["Traceback", 'File "'],
        ),
        ("bad", ["fixture:retentionDays", "must be an integer"], ["Traceback"]),
        ("missing", ["no stack file Pulumi.missing.yaml"], ["Traceback"]),
    ],
)
def test_user_errors_exit_2_with_the_users_message(tmp_path, capsys, stack, shown, hidden):
    code, report = run(tmp_path, stack)
    assert code == 2 and report is None
    err = capsys.readouterr().err
    for text in shown:
        assert text in err
    for text in hidden:
        assert text not in err


def test_printed_report_groups_violations_by_policy(tmp_path, capsys):
    run(tmp_path, "norotate")
    out = capsys.readouterr().out
    assert "MANDATORY kms-rotation (FIX-KMS-1) - 1 violation(s)" in out
    assert "key: KMS keys rotate." in out or "key: enableKeyRotation must be true" in out
    assert "FAILED" in out


def test_unknown_policy_name_with_a_level_is_kept_like_the_cli_but_warned(tmp_path, capsys):
    path = tmp_path / "pack.json"
    path.write_text(json.dumps({"no-such-policy": "mandatory"}))
    code, _ = run(tmp_path, "test", "--policy-pack-config", str(path))
    assert code == 0
    assert "'no-such-policy', which is not a policy of this pack" in capsys.readouterr().err.replace(
        "\n", " "
    )
