"""`--sarif`: the preview's findings as SARIF 2.1.0, validated against the official OASIS schema.

fixtures/sarif/sarif-schema-2.1.0.json is a verbatim copy of the OASIS SARIF 2.1.0 schema (errata 01,
oasis-tcs/sarif-spec, Schemata/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

from tools.preview import sarif
from tools.preview.__main__ import main

FIXTURES = Path(__file__).parent / "fixtures"
PROGRAM = FIXTURES / "program"
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# jsonschema checks "uri" formats only with optional packages: check them here so a relative helpUri fails.
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _absolute_uri(value: object) -> bool:
    parsed = urlparse(str(value))
    return bool(parsed.scheme) and (bool(parsed.netloc) or parsed.scheme == "file")


@FORMATS.checks("uri-reference")
def _uri_reference(value: object) -> bool:
    return " " not in str(value) and "\\" not in str(value)


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA, format_checker=FORMATS).validate(log)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> tuple[int, dict, dict]:
    """One preview of the fixture program with a mandatory and an advisory violation, a stack-level
    finding, a suppression and a policy not evaluated at preview."""
    out = tmp_path_factory.mktemp("sarif")
    code = main(
        [
            "--cwd", str(PROGRAM), "--stack", "norotate",
            "--policy-pack", str(FIXTURES / "pack"), "--policy-pack", str(FIXTURES / "sarif" / "pack"),
            "--no-tree", "--json", str(out / "report.json"), "--sarif", str(out / "report.sarif"),
        ]
    )  # fmt: skip
    return code, json.loads((out / "report.json").read_text()), json.loads((out / "report.sarif").read_text())


def results_by_rule(log: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def line_of(text: str) -> int:
    lines = (PROGRAM / "__main__.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_sarif_validates_against_the_schema(outcome):
    code, report, log = outcome
    assert code == 1  # --sarif does not change the exit code
    validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    counts = report["summary"]
    assert (counts["violations"], counts["suppressed"], counts["notEvaluated"]) == (3, 1, 1)
    assert len(log["runs"][0]["results"]) == 5


def test_the_schema_copy_rejects_a_broken_log(outcome):
    broken = copy.deepcopy(outcome[2])
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError, match="fatal"):
        validate(broken)
    broken = copy.deepcopy(outcome[2])
    broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/relative"
    with pytest.raises(jsonschema.ValidationError, match="uri"):
        validate(broken)


def test_levels_follow_the_enforcement_level(outcome):
    results = results_by_rule(outcome[2])
    assert results["kms-rotation"]["level"] == "error"  # mandatory
    assert results["logs-encrypted"]["level"] == "warning"  # advisory
    assert results["stack-owner"]["level"] == "warning"
    assert results["sse-key"]["level"] == "note"  # not evaluated at preview
    assert results["sse-key"]["properties"]["notEvaluated"] is True
    assert "can't be known during preview" in results["sse-key"]["message"]["text"]
    levels = [sarif.level_for(x) for x in ("mandatory", "remediate", "advisory")]
    assert levels == ["error", "error", "warning"]


def test_results_map_to_the_program_lines_that_created_the_resources(outcome):
    _, report, log = outcome
    results = results_by_rule(log)
    expected = {
        "kms-rotation": ("__main__.py", line_of('aws.kms.Key("key"')),
        "logs-encrypted": ("__main__.py", line_of("self.logs = aws.cloudwatch.LogGroup(")),
        "bucket-versioning": ("__main__.py", line_of('aws.s3.Bucket("bucket"')),
        "sse-key": ("__main__.py", line_of("aws.s3.BucketServerSideEncryptionConfiguration(")),
        # The stack resource is registered by the SDK, outside the project: the project file stands in.
        "stack-owner": ("Pulumi.yaml", 1),
    }
    for rule, (uri, line) in expected.items():
        physical = results[rule]["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": uri, "uriBaseId": "%SRCROOT%"}, rule
        assert physical["region"]["startLine"] == line, rule
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == PROGRAM.resolve().as_uri() + "/"
    key = next(r for r in report["resources"] if r["name"] == "key")
    logical = results["kms-rotation"]["locations"][0]["logicalLocations"]
    assert logical == [{"name": "key", "fullyQualifiedName": key["urn"], "kind": "resource"}]
    assert results["kms-rotation"]["properties"]["urn"] == key["urn"]
    assert results["kms-rotation"]["properties"]["catalogueIds"] == ["FIX-KMS-1"]


def test_suppressed_violation_carries_its_reason(outcome):
    result = results_by_rule(outcome[2])["bucket-versioning"]
    reason = "fixture bucket holds only disposable test data"
    assert result["suppressions"] == [{"kind": "external", "status": "accepted", "justification": reason}]
    assert result["level"] == "error"  # what it would be: the policy is mandatory
    assert reason in result["message"]["text"]
    assert all("suppressions" not in r for r in outcome[2]["runs"][0]["results"] if r is not result)


def test_one_rule_per_policy_with_its_metadata(outcome):
    _, report, log = outcome
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == sarif.TOOL_NAME and driver["version"] and driver["informationUri"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [p["name"] for p in report["policies"]]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    rule = rules[[r["id"] for r in rules].index("bucket-versioning")]
    assert rule["shortDescription"]["text"] == "S3 buckets keep object versions."
    assert rule["helpUri"] == "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"
    assert rule["help"]["text"].startswith("Set versioning on the bucket")
    assert "FIX-S3-1" in rule["help"]["text"] and "FIX-S3-1" in rule["fullDescription"]["text"]
    assert rule["defaultConfiguration"] == {"level": "error", "enabled": True}
    assert rule["properties"] == {
        "catalogueIds": ["FIX-S3-1"],
        "severity": "high",
        "enforcementLevel": "mandatory",
        "pack": "sarif-fixture-pack",
        "tags": ["security", "FIX-S3-1"],
        "security-severity": "8.0",
    }
    plain = rules[[r["id"] for r in rules].index("graph")]  # no url, severity or remediation steps
    assert "helpUri" not in plain and "security-severity" not in plain["properties"]
    assert plain["help"]["text"] == "Log groups live in components."


def test_results_outside_the_project_and_odd_paths(tmp_path):
    (tmp_path / "my app").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")
    inside = (tmp_path / "my app" / "main.py").as_uri()
    outside = "file:///elsewhere/x.py"
    library = (tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "pulumi" / "stack.py").as_uri()
    report = {
        "project": "x",
        "stack": "s",
        "mode": "preview",
        "summary": {},
        "policies": [
            {
                "name": "p",
                "pack": "k",
                "description": "D.",
                "enforcementLevel": "advisory",
                "severity": "low",
                "catalogueIds": [],
                "remediationSteps": None,
                "url": None,
            },
        ],  # fmt: skip
        "resources": [
            {
                "urn": "urn:a",
                "type": "t",
                "name": "a",
                "sourcePosition": {"uri": inside, "line": 4, "column": 3},
            },
            {"urn": "urn:b", "type": "t", "name": "b", "sourcePosition": {"uri": outside, "line": 9}},
            {"urn": "urn:c", "type": "t", "name": "c", "sourcePosition": {"uri": library, "line": 235}},
        ],
        "violations": [
            {"policy": "p", "urn": u, "enforcementLevel": "advisory", "severity": "low", "message": "m"}
            for u in ("urn:a", "urn:b", "urn:c", "urn:gone")
        ],
        "suppressed": [],
        "notEvaluated": [],
    }
    log = sarif.build(report, tmp_path)
    validate(log)
    locations = [r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]]
    assert locations[0] == {
        "artifactLocation": {"uri": "my%20app/main.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 3},
    }
    assert [loc["artifactLocation"]["uri"] for loc in locations[1:]] == ["Pulumi.yaml"] * 3
    fingerprints = {r["partialFingerprints"]["policyUrnHash/v1"] for r in log["runs"][0]["results"]}
    assert len(fingerprints) == 4  # same policy and line, different resources: distinct alerts
