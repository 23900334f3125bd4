"""Every catalogue ID is implemented, covers real tokens, and has fixtures that pass and fail."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from chatbot_guard import ALL_RULES

from .cases import Case, all_cases
from .conftest import PackFactory

CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "SECURITY-CATALOGUE.md"
CASES = all_cases()


def catalogue_rows() -> dict[str, str]:
    """Catalogue ID -> its row's last column (source and equivalents)."""
    rows = re.findall(r"^\| (SEC-[A-Z0-9-]+) \|.*\| ([^|]*) \|$", CATALOGUE.read_text(encoding="utf-8"), re.M)
    return dict(rows)


def catalogue_ids() -> set[str]:
    return set(catalogue_rows())


def named_equivalents(source: str) -> set[str]:
    """cdk-nag, PDK Nag and checkov rule ids a catalogue row names; "SQS2/SQS3" style is expanded."""
    names: set[str] = set()
    for prefix, rest in re.findall(r"(AwsSolutions-|AwsPrototyping-|CKV2?_AWS_)([A-Za-z0-9/]+)", source):
        first, *others = rest.split("/")
        names.add(prefix + first)
        stem = re.match(r"[A-Za-z]*", first).group(0)
        names.update(
            prefix + (o if not o.isdigit() or prefix.startswith("CKV") else stem + o) for o in others
        )
    return names


def run_case(pack: PackFactory, case: Case):
    harness = pack(stack=case.stack, config=dict(case.config) if case.config else None, dry_run=case.dry_run)
    results = [harness.analyze(r.type, r.props, r.name, r.protect) for r in case.resources]
    results.append(harness.analyze_stack(list(case.resources)))
    violations = [d for res in results for d in res.violations(case.rule)]
    cant_run = [d for res in results for d in res.cant_run(case.rule)]
    suppressed = [
        reason for res in results for reason in res.reasons(case.rule) if reason.startswith("suppressed")
    ]
    return violations, cant_run, suppressed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(pack: PackFactory, case: Case) -> None:
    assert case.rule in ALL_RULES, f"unknown rule {case.rule}"
    violations, cant_run, suppressed = run_case(pack, case)
    messages = [v.message for v in violations]
    if case.expect == "pass":
        assert violations == [] and cant_run == [], messages or [c.message for c in cant_run]
    elif case.expect == "violation":
        assert violations, f"expected a violation of {case.rule}"
        if case.level:
            assert {v.level for v in violations} == {case.level}, messages
        if case.message:
            assert any(case.message in m for m in messages), messages
    elif case.expect == "not-evaluated":
        assert violations == [] and cant_run, messages
    else:
        assert suppressed and violations == [], messages


def test_every_catalogue_id_has_a_rule() -> None:
    implemented = {i for meta in ALL_RULES.values() for i in meta.catalogue_ids}
    assert sorted(catalogue_ids() - implemented) == []
    assert sorted(implemented - catalogue_ids()) == []  # no invented IDs


def test_every_catalogue_id_has_a_case_that_makes_it_fail() -> None:
    failing = {i for c in CASES if c.expect == "violation" for i in ALL_RULES[c.rule].catalogue_ids}
    assert sorted(catalogue_ids() - failing) == []


@pytest.mark.parametrize("catalogue_id", sorted(catalogue_rows()))
def test_equivalents_named_by_the_catalogue_are_in_the_metadata(catalogue_id: str) -> None:
    # A user migrating from cdk-nag / PDK Nag / checkov looks for these ids in our reports and docs.
    declared = {e for m in ALL_RULES.values() if catalogue_id in m.catalogue_ids for e in m.equivalents.all()}
    assert sorted(named_equivalents(catalogue_rows()[catalogue_id]) - declared) == []


@pytest.mark.parametrize("rule", sorted(ALL_RULES))
def test_every_rule_has_a_passing_and_a_failing_case(rule: str) -> None:
    expects = {c.expect for c in CASES if c.rule == rule}
    assert {"pass", "violation"} <= expects, f"{rule} has cases {sorted(expects)}"


@pytest.mark.parametrize("token", sorted({t for m in ALL_RULES.values() for t in m.resource_types}))
def test_every_resource_token_exists_in_pulumi_aws(token: str) -> None:
    # A misspelt token silently checks nothing; resolve it to the provider SDK's class.
    package, module_path, class_name = token.split(":")
    module = module_path.split("/")[0]
    base = f"pulumi_{package}"
    name = base if module == "index" else f"{base}.{module}"
    try:
        mod = importlib.import_module(name)
    except ImportError:  # Python keywords get a trailing underscore: pulumi_aws.lambda_
        mod = importlib.import_module(f"{name}_")
    cls = getattr(mod, class_name)
    source = Path(importlib.import_module(cls.__module__).__file__).read_text(encoding="utf-8")
    assert f"'{token}'" in source or f'"{token}"' in source
