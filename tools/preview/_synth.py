"""Synthetic provider answers for the offline preview's deploy mode.

During `pulumi up` the engine gives a resource's dependants the provider's real outputs. Offline we
have no provider, so every output property that the provider SDK declares for the resource type and
that the inputs do not already give is filled with a deterministic, type-shaped placeholder. Loaded
by path from `_host.py`; imports only the standard library and whatever provider SDK is installed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import re
import typing
from typing import Any

ACCOUNT_ID = "111122223333"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _module_and_class(token: str) -> tuple[str, str] | None:
    # "aws:kms/key:Key" -> ("pulumi_aws.kms", "Key"); "aws:index/provider:Provider" -> ("pulumi_aws", ...)
    try:
        package, module_path, class_name = token.split(":")
    except ValueError:
        return None
    module = module_path.split("/")[0]
    base = f"pulumi_{package.replace('-', '_')}"
    return (base if module == "index" else f"{base}.{module.replace('-', '_')}", class_name)


# Input properties that the provider fills in when the program leaves them out (auto-naming).
_PROVIDER_FILLED_INPUTS = frozenset({"name", "bucket"})


def _resource_class(token: str) -> type | None:
    located = _module_and_class(token)
    if located is None:
        return None
    module_name, class_name = located
    for candidate in (module_name, f"{module_name}_"):  # Python keywords get a trailing "_": lambda_
        try:
            return getattr(importlib.import_module(candidate), class_name)
        except (ImportError, AttributeError):
            continue
    return None


@functools.cache
def output_properties(token: str) -> dict[str, str]:
    """Output properties (camelCase wire name -> coarse kind) the provider computes for the resource type.

    Outputs that merely echo an input are left out (a provider does not invent an input the program left
    unset, e.g. an API's quick-create `target`), except the inputs providers fill in by auto-naming."""
    cls = _resource_class(token)
    if cls is None:
        return {}
    init = getattr(cls, "_internal_init", None) or cls.__init__
    inputs = set(inspect.signature(init).parameters)
    found: dict[str, str] = {}
    for attr_name, attr in vars(cls).items():
        getter = getattr(attr, "fget", None)
        wire_name = getattr(getter, "_pulumi_name", None)
        if wire_name and (attr_name not in inputs or wire_name in _PROVIDER_FILLED_INPUTS):
            found[wire_name] = _kind(inspect.signature(getter).return_annotation)
    return found


def _kind(annotation: Any) -> str:
    text = str(annotation)
    inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else annotation
    while typing.get_origin(inner) is typing.Union:
        inner = next(a for a in typing.get_args(inner) if a is not type(None))
    origin = typing.get_origin(inner)
    if origin in (list, tuple) or "Sequence" in str(origin):
        return "list"
    if origin is dict or "Mapping" in str(origin):
        return "map"
    for scalar in (bool, int, float, str):
        if inner is scalar:
            return scalar.__name__
    return "object" if "outputs." in text else "unknown"


_GLOBAL_SERVICES = frozenset({"iam", "cloudfront", "route53", "organizations", "shield"})


def _service(token: str) -> str:
    located = _module_and_class(token)
    return located[0].rsplit(".", 1)[-1].replace("pulumi_", "") if located else "resource"


def _fake_id(token: str, name: str) -> str:
    return f"{name}-{hashlib.sha256(f'{token}/{name}'.encode()).hexdigest()[:8]}"


def _value(kind: str, prop: str, token: str, name: str, region: str, resource_id: str) -> Any:
    if kind == "str":
        if prop == "arn" or prop.endswith("Arn"):
            resource = _CAMEL.sub("-", token.rsplit(":", 1)[-1]).lower()
            service = _service(token)
            # Global services' ARNs carry no region (arn:aws:iam::<account>:role/...).
            located = "" if service in _GLOBAL_SERVICES else region
            return f"arn:aws:{service}:{located}:{ACCOUNT_ID}:{resource}/{resource_id}"
        if prop.lower().endswith(("domainname", "dnsname", "endpoint", "hostname")):
            # A host name: lower-case labels, so code that validates origins accepts it.
            return f"{resource_id.lower()}.{_service(token)}.offline.invalid"
        if prop in ("id", "name") or prop.endswith("Id"):
            return resource_id if prop == "id" else f"{resource_id}-{prop}"
        return f"{resource_id}-{prop}"
    return {"bool": False, "int": 0, "float": 0.0, "list": [], "map": {}}.get(kind)


_RDS_CLUSTER = "aws:rds/cluster:Cluster"


def deploy_outputs(token: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    resource_id = _fake_id(token, name)
    outputs = dict(inputs)
    for prop, kind in output_properties(token).items():
        if prop not in outputs:
            value = _value(kind, prop, token, name, region, resource_id)
            if value is not None:
                outputs[prop] = value
    managed_secret = inputs.get("manageMasterUserPassword") and not outputs.get("masterUserSecrets")
    if token == _RDS_CLUSTER and managed_secret:
        # RDS creates the master secret itself; policies and grants read its ARN from this output.
        secret = f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!cluster-{resource_id}-AbCdEf"
        outputs["masterUserSecrets"] = [{
            "secretArn": secret, "secretStatus": "active",
            "kmsKeyId": inputs.get("masterUserSecretKmsKeyId") or ""}]
    return resource_id, outputs


_INVOKES = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args, region: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-preview",
        "userId": "AIDAOFFLINEPREVIEW",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda args, region: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    },
    "aws:index/getRegion:getRegion": lambda args, region: {
        "name": args.get("name") or region,
        "region": args.get("region") or region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
        "id": region,
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args, region: {
        "names": [f"{region}{z}" for z in "abc"],
        "zoneIds": [f"{region[:3]}{region[-1]}-az{i}" for i in (1, 2, 3)],
        "id": region,
    },
}


def _policy_document(args: dict[str, Any], region: str) -> dict[str, Any]:
    # aws.iam.get_policy_document is computed locally by the provider; do the same.
    def one_or_many(values: list[str]) -> Any:
        return values[0] if len(values) == 1 else sorted(values)

    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect") or "Allow"
        for key, wire in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            if st.get(key):
                out[wire] = one_or_many(st[key])
        for key, wire in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if st.get(key):
                out[wire] = {p["type"]: one_or_many(p["identifiers"]) for p in st[key]}
        if st.get("conditions"):
            conditions: dict[str, dict[str, Any]] = {}
            for c in st["conditions"]:
                conditions.setdefault(c["test"], {})[c["variable"]] = one_or_many(c["values"])
            out["Condition"] = conditions
        statements.append(out)
    document = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    text = json.dumps(document, indent=2)
    return {
        "json": text,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
        "id": hashlib.sha256(text.encode()).hexdigest()[:10],
    }


_INVOKES["aws:iam/getPolicyDocument:getPolicyDocument"] = _policy_document
# An existing VPC looked up by id: the offline preview cannot see it, so it answers a placeholder CIDR.
_INVOKES["aws:ec2/getVpc:getVpc"] = lambda args, region: {
    "id": args.get("id") or "vpc-00000000", "cidrBlock": "10.0.0.0/16", "cidrBlockAssociations": [],
    "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:vpc/{args.get('id') or 'vpc-00000000'}"}

# AWS-managed prefix lists (com.amazonaws.<region>.s3 / dynamodb): a stable placeholder id per name.
_INVOKES["aws:ec2/getManagedPrefixList:getManagedPrefixList"] = lambda args, region: {
    "id": "pl-" + hashlib.sha256(str(args.get("name") or args.get("id")).encode()).hexdigest()[:8],
    "name": args.get("name") or "", "addressFamily": "IPv4", "maxEntries": 0, "entries": [],
    "arn": f"arn:aws:ec2:{region}:aws:prefix-list/offline", "ownerId": "AWS", "version": 1, "tags": {}}


def invoke_result(token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
    """Answers the read-only data sources whose result is predictable; others return nothing."""
    handler = _INVOKES.get(token)
    return handler(args, region) if handler else {}
