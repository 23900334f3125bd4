"""The preview report carries the `cost` section and the printout shows it."""

from __future__ import annotations

from rich.console import Console

from tools.preview import report as report_module
from tools.preview.render import render


def _registration(token: str, name: str, inputs: dict) -> dict:
    return {"urn": f"urn:pulumi:dev::p::{token}::{name}", "type": token, "name": name, "parent": "",
            "protect": False, "retainOnDelete": False, "custom": True, "dependencies": [],
            "propertyDependencies": {}, "provider": "", "inputs": inputs}


def test_report_prices_resources_in_the_stack_region_and_render_prints_them():
    registrations = [
        _registration("pulumi:pulumi:Stack", "p-dev", {}),
        _registration("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": "subnet-1"}),
        _registration("aws:cognito/userPool:UserPool", "users", {"userPoolTier": "PLUS"}),
    ]
    report = report_module.build("p", "dev", "preview", registrations, [], region="us-east-1")
    cost = report["cost"]
    assert cost["region"] == "us-east-1"
    assert [(i["name"], i["monthly"]) for i in cost["items"]] == [("nat", 32.85)]
    console = Console(record=True, width=200)
    render(report, console, show_tree=False)
    text = console.export_text()
    assert "Idle cost: $32.85 per month" in text
    assert "PLUS plan: usage-driven" in text and "Tokens:" in text


def test_report_without_a_region_says_so():
    registrations = [_registration("aws:kms/key:Key", "key", {})]
    cost = report_module.build("p", "dev", "preview", registrations, [])["cost"]
    assert cost["items"][0]["monthly"] is None and not cost["complete"]
