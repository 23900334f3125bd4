"""Fixtures for rules/rds.py: an Aurora PostgreSQL vector store plus a plain RDS instance, as at preview."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

KEY = "aws:kms/key:Key"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/instance:Instance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
MEMBER = "aws:rds/clusterInstance:ClusterInstance"
PROXY = "aws:rds/proxy:Proxy"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
OTHER_ACCOUNT_KEY = "arn:aws:kms:eu-west-1:111122223333:alias/aws/rds"


def _resources(stack: str) -> tuple[Resource, ...]:
    key, sg = ref(KEY, "db-key", stack), ref(SG, "db-sg", stack)
    on_key = {"kmsKeyId": [key], "vpcSecurityGroupIds": [sg]}
    return (
        Resource(KEY, "db-key", {"enableKeyRotation": True, "description": "Aurora storage"}),
        Resource(SG, "db-sg", {
            "vpcId": UNKNOWN,
            "description": "Aurora vector store",
            "ingress": [
                {"protocol": "tcp", "fromPort": 15432.0, "toPort": 15432.0, "securityGroups": [UNKNOWN]}
            ],
            "egress": [],
        }),
        Resource(INGRESS, "db-from-vpc", {
            "securityGroupId": UNKNOWN, "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp",
            "fromPort": 15432.0, "toPort": 15432.0,
        }, property_dependencies={"securityGroupId": [sg]}),
        Resource(CLUSTER, "vectors", {
            "engine": "aurora-postgresql", "engineVersion": "16.4", "engineMode": "provisioned",
            "storageEncrypted": True, "kmsKeyId": UNKNOWN, "iamDatabaseAuthenticationEnabled": True,
            "port": 15432.0, "masterUsername": "chatbot_owner", "manageMasterUserPassword": True,
            "backupRetentionPeriod": 35.0, "vpcSecurityGroupIds": [UNKNOWN], "dbSubnetGroupName": UNKNOWN,
            "serverlessv2ScalingConfiguration": {"minCapacity": 0.5, "maxCapacity": 2.0},
        }, property_dependencies=on_key),
        Resource(MEMBER, "vectors-1", {
            "clusterIdentifier": UNKNOWN, "engine": "aurora-postgresql", "instanceClass": "db.serverless",
            "publiclyAccessible": False,
        }, property_dependencies={"clusterIdentifier": [ref(CLUSTER, "vectors", stack)]}),
        Resource(INSTANCE, "reports", {
            "engine": "postgres", "engineVersion": "16.4", "instanceClass": "db.t4g.micro",
            "allocatedStorage": 20.0, "storageEncrypted": True, "kmsKeyId": UNKNOWN,
            "iamDatabaseAuthenticationEnabled": True, "port": 15433.0, "username": "reports_owner",
            "manageMasterUserPassword": True, "backupRetentionPeriod": 7.0, "publiclyAccessible": False,
            "vpcSecurityGroupIds": [UNKNOWN],
        }, property_dependencies=on_key),
    )


BASE = Baseline(_resources("prod"))
DEV = Baseline(_resources("dev"), stack="dev")

ENC, CMK, IAM, NONDEF = "rds-storage-encrypted", "rds-customer-managed-key", "rds-iam-authentication", (
    "rds-non-default-identity"
)
PUBLIC, OPEN, BACKUP = "rds-not-publicly-accessible", "rds-security-group-not-open", "rds-backup-retention"

OPEN_RULE = Resource(SG_RULE, "db-open", {
    "type": "ingress", "securityGroupId": UNKNOWN, "protocol": "tcp", "fromPort": 15432.0,
    "toPort": 15432.0, "cidrBlocks": ["0.0.0.0/0"],
}, property_dependencies={"securityGroupId": [ref(SG, "db-sg")]})
PROXY_SG = Resource(SG, "proxy-sg", {
    "vpcId": UNKNOWN, "description": "proxy",
    "ingress": [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "ipv6CidrBlocks": ["::/0"]}],
})
VECTOR_PROXY = Resource(PROXY, "vectors-proxy", {
    "engineFamily": "POSTGRESQL", "requireTls": True, "roleArn": UNKNOWN, "vpcSubnetIds": [UNKNOWN],
    "vpcSecurityGroupIds": [UNKNOWN], "auths": [{"authScheme": "SECRETS", "iamAuth": "REQUIRED",
                                                 "secretArn": UNKNOWN}],
}, property_dependencies={"vpcSecurityGroupIds": [ref(SG, "proxy-sg")]})
# Deploy-time view: ids known, no property dependencies (e.g. a security group looked up by id).
KNOWN_SG = Resource(SG, "shared-sg", {
    "id": "sg-0abc",
    "ingress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}],
})
KNOWN_DB = Resource(INSTANCE, "legacy", {
    "engine": "mysql", "storageEncrypted": True, "vpcSecurityGroupIds": ["sg-0abc"],
    "instanceClass": "db.t4g.micro",
})
SUPPRESS = {"stack-profile": {"suppressions": [
    {"policy": OPEN, "urn": "*::db-open", "reason": "Temporary vendor migration window, ticket SEC-42."}
]}}

CASES = [
    # SEC-AURORA-ENCRYPTION
    BASE.case(ENC),
    BASE.mutate(ENC, "cluster unencrypted", "vectors", "storageEncrypted", False, level="mandatory",
                message="storageEncrypted is not true"),
    BASE.mutate(ENC, "cluster encryption unset", "vectors", "storageEncrypted", DELETE),
    BASE.mutate(ENC, "instance unencrypted", "reports", "storageEncrypted", False),
    BASE.plus(ENC, "global cluster unencrypted", Resource(GLOBAL, "vectors-global", {
        "globalClusterIdentifier": "chatbot-vectors", "engine": "aurora-postgresql"})),
    BASE.plus(ENC, "global cluster encrypted", Resource(GLOBAL, "vectors-global", {
        "globalClusterIdentifier": "chatbot-vectors", "engine": "aurora-postgresql", "storageEncrypted": True,
    }), expect="pass"),
    BASE.mutate(ENC, "encryption unknown at preview", "vectors", "storageEncrypted", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(ENC, "dev stacks are not exempt", "vectors", "storageEncrypted", False, level="mandatory"),
    # SEC-AURORA-CMK
    BASE.case(CMK, "key ARN unknown at preview is enough"),
    BASE.mutate(CMK, "cluster on the AWS managed key", "vectors", "kmsKeyId", DELETE, message="kmsKeyId"),
    BASE.mutate(CMK, "cluster names alias/aws/rds", "vectors", "kmsKeyId", OTHER_ACCOUNT_KEY),
    BASE.mutate(CMK, "instance on the AWS managed key", "reports", "kmsKeyId", DELETE),
    DEV.mutate(CMK, "advisory on dev", "vectors", "kmsKeyId", DELETE, level="advisory"),
    # SEC-AURORA-IAM-AUTH
    BASE.case(IAM),
    BASE.mutate(IAM, "cluster without IAM auth", "vectors", "iamDatabaseAuthenticationEnabled", False,
                level="mandatory", message="iamDatabaseAuthenticationEnabled"),
    BASE.mutate(IAM, "cluster IAM auth unset", "vectors", "iamDatabaseAuthenticationEnabled", DELETE),
    BASE.mutate(IAM, "instance without IAM auth", "reports", "iamDatabaseAuthenticationEnabled", False),
    BASE.plus(IAM, "aurora-mysql cluster without IAM auth", Resource(CLUSTER, "mysql", {
        "engine": "aurora-mysql", "storageEncrypted": True, "port": 13306.0, "masterUsername": "app"})),
    BASE.plus(IAM, "oracle has no IAM auth", Resource(INSTANCE, "erp", {
        "engine": "oracle-se2", "instanceClass": "db.m6i.large", "storageEncrypted": True}), expect="pass"),
    BASE.mutate(IAM, "engine unknown at preview", "vectors", "engine", UNKNOWN, expect="not-evaluated"),
    DEV.mutate(IAM, "advisory on dev", "vectors", "iamDatabaseAuthenticationEnabled", False,
               level="advisory"),
    # SEC-AURORA-NONDEFAULT
    BASE.case(NONDEF),
    BASE.mutate(NONDEF, "cluster port unset is 5432", "vectors", "port", DELETE, message="port is unset"),
    BASE.mutate(NONDEF, "cluster on 5432", "vectors", "port", 5432.0, level="mandatory", message="5432"),
    BASE.mutate(NONDEF, "cluster user Postgres", "vectors", "masterUsername", "Postgres",
                message="masterUsername is 'Postgres'"),
    BASE.mutate(NONDEF, "instance user admin", "reports", "username", "admin", message="username is 'admin'"),
    BASE.plus(NONDEF, "mysql instance on 3306", Resource(INSTANCE, "legacy", {
        "engine": "mysql", "port": 3306.0, "username": "legacy_app", "instanceClass": "db.t4g.micro"}),
        message="3306"),
    BASE.plus(NONDEF, "read replica inherits port and user", Resource(INSTANCE, "reports-replica", {
        "replicateSourceDb": UNKNOWN, "engine": "postgres", "instanceClass": "db.t4g.micro"}), expect="pass"),
    BASE.mutate(NONDEF, "port unknown at preview", "vectors", "port", UNKNOWN, expect="not-evaluated"),
    DEV.mutate(NONDEF, "advisory on dev", "vectors", "port", DELETE, level="advisory"),
    # SEC-AURORA-PRIVATE: instances
    BASE.case(PUBLIC),
    BASE.mutate(PUBLIC, "public instance", "reports", "publiclyAccessible", True, level="mandatory",
                message="publiclyAccessible is true"),
    BASE.mutate(PUBLIC, "public cluster instance", "vectors-1", "publiclyAccessible", True),
    BASE.mutate(PUBLIC, "unknown at preview", "vectors-1", "publiclyAccessible", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(PUBLIC, "dev stacks are not exempt", "reports", "publiclyAccessible", True, level="mandatory"),
    # SEC-AURORA-PRIVATE: security groups in front of a database
    BASE.case(OPEN),
    BASE.mutate(OPEN, "inline ingress from anywhere", "db-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"],
                level="mandatory", message="ingress[0].cidrBlocks"),
    BASE.mutate(OPEN, "vpc ingress rule from anywhere", "db-from-vpc", "cidrIpv4", "0.0.0.0/0",
                message="cidrIpv4"),
    BASE.plus(OPEN, "ec2 security group rule from anywhere", OPEN_RULE, message="vectors"),
    BASE.plus(OPEN, "egress to anywhere is fine", Resource(SG_RULE, "db-out", {
        **OPEN_RULE.props, "type": "egress"}, property_dependencies=OPEN_RULE.property_dependencies),
        expect="pass"),
    BASE.plus(OPEN, "open group that guards no database", Resource(SG, "web-sg", {
        "ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}]}),
        expect="pass"),
    BASE.plus(OPEN, "rds proxy behind an ipv6-open group", PROXY_SG, VECTOR_PROXY, message="::/0"),
    BASE.plus(OPEN, "known ids link an open group", KNOWN_SG, KNOWN_DB, dry_run=False, message="legacy"),
    BASE.mutate(OPEN, "CIDR unknown at preview", "db-from-vpc", "cidrIpv4", UNKNOWN, expect="not-evaluated"),
    BASE.plus(OPEN, "open rule whose group is unknown", Resource(SG_RULE, "maybe-open", {
        **OPEN_RULE.props}), expect="not-evaluated"),
    DEV.mutate(OPEN, "dev stacks are not exempt", "db-from-vpc", "cidrIpv4", "0.0.0.0/0", level="mandatory"),
    BASE.plus(OPEN, "suppressed with a reason", OPEN_RULE, config=SUPPRESS, expect="suppressed"),
    # SEC-BACKUPS (RDS)
    BASE.case(BACKUP),
    BASE.mutate(BACKUP, "cluster retention unset is 1 day", "vectors", "backupRetentionPeriod", DELETE,
                level="mandatory", message="backupRetentionPeriod is 1 day(s)"),
    BASE.mutate(BACKUP, "instance keeps 3 days", "reports", "backupRetentionPeriod", 3.0),
    BASE.plus(BACKUP, "read replicas are exempt", Resource(INSTANCE, "reports-replica", {
        "replicateSourceDb": UNKNOWN, "instanceClass": "db.t4g.micro"}), expect="pass"),
    BASE.mutate(BACKUP, "unknown at preview", "vectors", "backupRetentionPeriod", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(BACKUP, "advisory on dev", "vectors", "backupRetentionPeriod", 1.0, level="advisory"),
]
