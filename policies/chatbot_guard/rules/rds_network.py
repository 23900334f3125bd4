"""Aurora / RDS (SEC-AURORA-PRIVATE): no security group in front of a database admits the internet.

A stack policy: the group, its rules and the database are separate resources, linked by
``vpcSecurityGroupIds`` / ``securityGroupId`` (see ``links.py``).
"""

from __future__ import annotations

from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import refers_to, values_at
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import Known, check_all, lookup, require_known
from .rds import CLUSTER, INSTANCE, PROXY, PROXY_ENDPOINT, RDS_DOCS

DATABASES = (CLUSTER, INSTANCE, PROXY, PROXY_ENDPOINT)
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WORLD = frozenset({"0.0.0.0/0", "::/0"})

OPEN_INGRESS = RuleMeta(
    name="rds-security-group-not-open",
    description=(
        "No security group attached to an Aurora cluster, RDS instance or RDS proxy (vpcSecurityGroupIds) "
        "admits 0.0.0.0/0 or ::/0, whether through its inline ingress or a separate ec2.SecurityGroupRule "
        "or vpc.SecurityGroupIngressRule."
    ),
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-AURORA-PRIVATE",),
    resource_types=(*DATABASES, SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE),
    remediation=(
        "Admit only the application's security groups (securityGroups / sourceSecurityGroupId / "
        "referencedSecurityGroupId) or private VPC CIDRs on the database port."
    ),
    url=f"{RDS_DOCS}Overview.RDSSecurityGroups.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-RDS8", "AwsSolutions-EC23"), checkov=("CKV_AWS_260",)),
)


def _open_sources(resource: PolicyResource) -> list[str]:
    """Property paths through which ``resource`` admits the whole internet (values must be known)."""
    props = resource.props
    if resource.resource_type == SG_INGRESS_RULE:
        return [p for p in ("cidrIpv4", "cidrIpv6") if require_known(props, p) in WORLD]
    prefixes = [""]
    if resource.resource_type == SG_RULE:
        if require_known(props, "type") != "ingress":
            return []
    else:
        prefixes = [f"ingress[{i}]." for i in range(len(require_known(props, "ingress", [])))]
    return [
        f"{prefix}{key}"
        for prefix in prefixes
        for key in ("cidrBlocks", "ipv6CidrBlocks")
        if WORLD & {str(c) for c in require_known(props, f"{prefix}{key}", [])}
    ]


def validate_open_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    dbs = [r for r in resources if r.resource_type in DATABASES]
    groups = [r for r in resources if r.resource_type == SECURITY_GROUP]
    db_ids = {db.urn: values_at(db.props, "vpcSecurityGroupIds[]") for db in dbs}

    def databases_behind(group: PolicyResource) -> tuple[list[str], bool]:
        verdicts = [(db, refers_to(db, "vpcSecurityGroupIds", group, ("id",), db_ids[db.urn])) for db in dbs]
        return [db.name for db, v in verdicts if v], any(v is None for _, v in verdicts)

    attached = {g.urn: databases_behind(g) for g in groups}

    def check(resource: PolicyResource) -> None:
        names: list[str] = []
        undecided = False
        if resource.resource_type == SECURITY_GROUP:
            names, undecided = attached[resource.urn]
        else:
            target = lookup(resource.props, "securityGroupId")
            for group in groups:
                verdict = refers_to(resource, "securityGroupId", group, ("id",))
                undecided = undecided or verdict is None or (verdict is True and attached[group.urn][1])
                names += attached[group.urn][0] if verdict else []
            # Both ids known and external to the stack: the rule and the database still meet.
            names += [db.name for db in dbs if isinstance(target, Known) and target in db_ids[db.urn]]
        if not names and not undecided:
            return
        opened = _open_sources(resource)
        if opened and not names:
            link = "vpcSecurityGroupIds" if resource.resource_type == SECURITY_GROUP else "securityGroupId"
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [resource.name, link])
        if opened:
            report(
                f"{resource.name} admits 0.0.0.0/0 or ::/0 via {', '.join(opened)} and guards database(s) "
                f"{', '.join(sorted(set(names)))}; allow only application security groups or VPC CIDRs.",
                resource.urn,
            )

    openers = [r for r in resources if r.resource_type in (SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE)]
    check_all(*(partial(check, r) for r in openers))


POLICIES = [stack_policy(OPEN_INGRESS, validate_open_ingress)]
