"""Fixtures for rules/secrets.py: an Aurora cluster with an RDS-managed password and an RDS proxy whose
credential secret rotates, plus an API key secret that is no database credential."""

from ..harness import UNKNOWN, secret
from . import DELETE, Baseline, Resource, ref

KEY = "aws:kms/key:Key"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/instance:Instance"
PROXY = "aws:rds/proxy:Proxy"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a resource token
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
RANDOM = "random:index/randomPassword:RandomPassword"
AWS_MANAGED = "alias/aws/secretsmanager"
PROXY_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:chatbot-proxy-AbCdEf"  # noqa: S105


def _resources(stack: str) -> tuple[Resource, ...]:
    key, creds = ref(KEY, "secrets-key", stack), ref(SECRET, "proxy-creds", stack)
    return (
        Resource(KEY, "secrets-key", {"enableKeyRotation": True, "description": "secrets"}),
        Resource(SECRET, "openai-key", {
            "name": "chatbot-openai-api-key", "kmsKeyId": UNKNOWN, "recoveryWindowInDays": 7.0,
        }, property_dependencies={"kmsKeyId": [key]}),
        Resource(SECRET, "proxy-creds", {
            "namePrefix": "chatbot-proxy-", "kmsKeyId": UNKNOWN, "recoveryWindowInDays": 7.0,
        }, property_dependencies={"kmsKeyId": [key]}),
        Resource(ROTATION, "proxy-creds-rotation", {
            "secretId": UNKNOWN, "rotationLambdaArn": UNKNOWN,
            "rotationRules": {"automaticallyAfterDays": 30.0},
        }, property_dependencies={"secretId": [creds]}),
        Resource(CLUSTER, "vectors", {
            "engine": "aurora-postgresql", "storageEncrypted": True, "masterUsername": "chatbot_owner",
            "manageMasterUserPassword": True, "masterUserSecretKmsKeyId": UNKNOWN,
        }, property_dependencies={"masterUserSecretKmsKeyId": [key]}),
        Resource(PROXY, "vectors-proxy", {
            "engineFamily": "POSTGRESQL", "requireTls": True, "roleArn": UNKNOWN, "vpcSubnetIds": [UNKNOWN],
            "auths": [{"authScheme": "SECRETS", "iamAuth": "REQUIRED", "secretArn": UNKNOWN}],
        }, property_dependencies={"auths": [creds]}),
    )


BASE = Baseline(_resources("prod"))
DEV = Baseline(_resources("dev"), stack="dev")
MANAGED, ROTATE, CMK = "rds-managed-master-password", "db-secret-rotation", "secret-customer-managed-key"

# A static password shared by a SecretVersion and the database (the common random.RandomPassword pattern).
PASSWORD = Resource(RANDOM, "reports-password", {"length": 32.0, "special": False, "result": UNKNOWN})
REPORTS_SECRET = Resource(SECRET, "reports-creds", {"namePrefix": "chatbot-reports-"})
REPORTS_VERSION = Resource(VERSION, "reports-creds-v1", {"secretId": UNKNOWN, "secretString": UNKNOWN},
                           property_dependencies={"secretId": [ref(SECRET, "reports-creds")],
                                                  "secretString": [ref(RANDOM, "reports-password")]})
REPORTS_DB = Resource(INSTANCE, "reports", {
    "engine": "postgres", "instanceClass": "db.t4g.micro", "username": "reports_owner", "password": UNKNOWN,
}, property_dependencies={"password": [ref(RANDOM, "reports-password")]})
# Deploy-time view: the proxy and the rotation name the secret by its known ARN, without dependencies.
KNOWN = Baseline((
    Resource(SECRET, "proxy-creds", {"name": "chatbot-proxy", "arn": PROXY_SECRET_ARN,
                                     "id": PROXY_SECRET_ARN}),
    Resource(PROXY, "vectors-proxy", {"engineFamily": "POSTGRESQL",
                                      "auths": [{"secretArn": PROXY_SECRET_ARN}]}),
    Resource(ROTATION, "proxy-creds-rotation", {
        "secretId": PROXY_SECRET_ARN,
        "rotationLambdaArn": "arn:aws:lambda:eu-west-1:111122223333:function:rot",
        "rotationRules": {"automaticallyAfterDays": 30.0},
    }),
))
NO_KEY = Baseline(tuple(r for r in BASE.resources if r.type != KEY))
REQUIRED = {"stack-profile": {"customerManagedKeys": "required"}}

CASES = [
    # SEC-SECRET-ROTATION: databases take no static password
    BASE.case(MANAGED),
    BASE.mutate(MANAGED, "cluster with a static password", "vectors", "masterPassword",
                secret("s3cr3t-Passw0rd"), level="mandatory", message="masterPassword"),
    BASE.mutate(MANAGED, "static password unknown at preview", "vectors", "masterPassword", UNKNOWN),
    BASE.mutate(MANAGED, "write-only static password", "vectors", "masterPasswordWo",
                secret("s3cr3t-Passw0rd")),
    BASE.plus(MANAGED, "instance with a static password", REPORTS_DB, message="password sets"),
    DEV.mutate(MANAGED, "advisory on dev", "vectors", "masterPassword", secret("s3cr3t"), level="advisory"),
    # SEC-SECRET-ROTATION: database credential secrets rotate
    BASE.case(ROTATE),
    BASE.without(ROTATE, "proxy secret without rotation", "proxy-creds-rotation", level="mandatory",
                 message="RDS proxy vectors-proxy authenticates with it"),
    BASE.mutate(ROTATE, "rotation switched off", "proxy-creds-rotation", "rotationEnabled", False),
    BASE.mutate(ROTATE, "rotation state unknown", "proxy-creds-rotation", "rotationEnabled", UNKNOWN,
                expect="not-evaluated"),
    BASE.plus(ROTATE, "secret named for a database", Resource(SECRET, "aurora-creds", {
        "name": "chatbot/aurora/credentials"}), message="name, description or tags"),
    BASE.plus(ROTATE, "secret tagged for a database", Resource(SECRET, "misc", {
        "name": "chatbot-misc", "tags": {"component": "rds"}})),
    BASE.plus(ROTATE, "api key secrets need no rotation", Resource(SECRET, "hf-token", {
        "name": "chatbot-hf-token", "description": "Hugging Face token", "tags": {"app": "chatbot"}}),
        expect="pass"),
    BASE.plus(ROTATE, "password shared with a secret version", PASSWORD, REPORTS_SECRET, REPORTS_VERSION,
              REPORTS_DB, message="same source"),
    BASE.plus(ROTATE, "password read from a secret", Resource(CLUSTER, "archive", {
        "engine": "aurora-mysql", "masterUsername": "archive_owner", "masterPassword": UNKNOWN,
    }, property_dependencies={"masterPassword": [ref(SECRET, "legacy-creds")]}),
        Resource(SECRET, "legacy-creds", {"namePrefix": "chatbot-legacy-"}), message="read from it"),
    BASE.plus(ROTATE, "unlinked rotation is decided at deploy", Resource(SECRET, "pg-creds", {
        "name": "chatbot-pg"}), Resource(ROTATION, "pg-rotation", {
            "secretId": UNKNOWN, "rotationRules": {"automaticallyAfterDays": 30.0}}), expect="not-evaluated"),
    KNOWN.case(ROTATE, "linked by known ARNs", dry_run=False),
    KNOWN.without(ROTATE, "known ARN without rotation", "proxy-creds-rotation", dry_run=False),
    DEV.without(ROTATE, "advisory on dev", "proxy-creds-rotation", level="advisory"),
    # SEC-CMK-AT-REST (Secrets Manager)
    BASE.case(CMK),
    BASE.mutate(CMK, "secret on the AWS managed key", "openai-key", "kmsKeyId", DELETE, level="mandatory",
                message="openai-key"),
    BASE.mutate(CMK, "secret names aws/secretsmanager", "proxy-creds", "kmsKeyId", AWS_MANAGED),
    NO_KEY.mutate(CMK, "no CMK in the stack: not required", "openai-key", "kmsKeyId", DELETE, expect="pass"),
    KNOWN.plus(CMK, "required by pack config", Resource(SECRET, "plain", {"name": "plain"}), config=REQUIRED),
    DEV.mutate(CMK, "advisory on dev", "openai-key", "kmsKeyId", DELETE, level="advisory"),
]
