"""Fixtures for rules/cognito.py (SEC-COGNITO-MFA/-NO-SIGNUP/-PASSWORDS/-NO-GUEST, SEC-ADMIN-GROUP)."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

POOL = "aws:cognito/userPool:UserPool"
GROUP = "aws:cognito/userGroup:UserGroup"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"


def pool_props(**overrides: object) -> dict:
    """A user pool as pulumi-aws 7.51.1 sends it for the prod stack's hardened settings."""
    props = {
        "name": "chatbot-users",
        "mfaConfiguration": "ON",
        "softwareTokenMfaConfiguration": {"enabled": True},
        "adminCreateUserConfig": {"allowAdminCreateUserOnly": True},
        "passwordPolicy": {
            "minimumLength": 14.0,
            "requireUppercase": True,
            "requireLowercase": True,
            "requireNumbers": True,
            "requireSymbols": True,
            "temporaryPasswordValidityDays": 3.0,
        },
        "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"},
        "userPoolTier": "PLUS",
        "deletionProtection": "ACTIVE",
        "usernameAttributes": ["email"],
        "autoVerifiedAttributes": ["email"],
        "accountRecoverySetting": {"recoveryMechanisms": [{"name": "verified_email", "priority": 1.0}]},
    }
    props.update(overrides)
    return props


def users(stack: str, pool: str = "users", name: str = "admin", **props: object) -> Resource:
    return Resource(
        GROUP,
        f"{pool}-{name}",
        {"name": name, "userPoolId": UNKNOWN, "precedence": 0.0, "description": "Administrators", **props},
        property_dependencies={"userPoolId": [ref(POOL, pool, stack)]},
    )


def baseline(stack: str) -> Baseline:
    return Baseline((Resource(POOL, "users", pool_props()), users(stack)), stack=stack)


BASE = baseline("prod")
DEV = baseline("dev")
IDENTITY = Baseline(
    (
        Resource(
            IDENTITY_POOL,
            "identities",
            {
                "identityPoolName": "chatbot",
                "allowUnauthenticatedIdentities": False,
                "allowClassicFlow": False,
                "cognitoIdentityProviders": [
                    {"clientId": UNKNOWN, "providerName": UNKNOWN, "serverSideTokenCheck": True}
                ],
            },
        ),
    )
)

MFA_REQUIRED = "cognito-mfa-required"
MFA_ENABLED = "cognito-mfa-enabled"
SIGNUP = "cognito-no-self-signup"
PASSWORDS = "cognito-password-policy"
THREATS = "cognito-threat-protection"
GUEST = "cognito-identity-pool-no-guest"
ADMIN = "cognito-admin-group"
TOTP = "softwareTokenMfaConfiguration"

CASES = [
    # SEC-COGNITO-MFA, part 1: ON outside dev (advisory on dev, where OPTIONAL is enough).
    BASE.case(MFA_REQUIRED),
    BASE.mutate(
        MFA_REQUIRED,
        "optional MFA on prod",
        "users",
        "mfaConfiguration",
        "OPTIONAL",
        level="mandatory",
        message="mfaConfiguration is OPTIONAL; set it to ON",
    ),
    BASE.mutate(
        MFA_REQUIRED,
        "MFA unset defaults to OFF",
        "users",
        "mfaConfiguration",
        DELETE,
        message="mfaConfiguration is OFF",
    ),
    BASE.mutate(
        MFA_REQUIRED,
        "MFA mode unknown at preview",
        "users",
        "mfaConfiguration",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.case(MFA_REQUIRED, "required MFA on dev"),
    DEV.mutate(
        MFA_REQUIRED,
        "optional MFA on dev is only advisory",
        "users",
        "mfaConfiguration",
        "OPTIONAL",
        level="advisory",
    ),
    # SEC-COGNITO-MFA, part 2: never OFF and TOTP on, on every stack.
    BASE.case(MFA_ENABLED),
    DEV.mutate(
        MFA_ENABLED,
        "optional MFA with TOTP is enough on dev",
        "users",
        "mfaConfiguration",
        "OPTIONAL",
        expect="pass",
    ),
    BASE.mutate(
        MFA_ENABLED, "MFA off", "users", "mfaConfiguration", "OFF", message="mfaConfiguration is OFF"
    ),
    DEV.mutate(
        MFA_ENABLED,
        "MFA off on dev is still mandatory",
        "users",
        "mfaConfiguration",
        "OFF",
        level="mandatory",
    ),
    BASE.mutate(
        MFA_ENABLED,
        "TOTP disabled",
        "users",
        f"{TOTP}.enabled",
        False,
        message="softwareTokenMfaConfiguration.enabled is not true",
    ),
    BASE.mutate(MFA_ENABLED, "no TOTP block (SMS only)", "users", TOTP, DELETE),
    BASE.mutate(
        MFA_ENABLED,
        "TOTP flag unknown at preview",
        "users",
        f"{TOTP}.enabled",
        UNKNOWN,
        expect="not-evaluated",
    ),
    Baseline(
        (Resource(POOL, "users", pool_props(mfaConfiguration="OFF", **{TOTP: {"enabled": UNKNOWN}})),)
    ).case(
        MFA_ENABLED,
        "MFA off is reported even while TOTP is unknown",
        expect="violation",
        message="mfaConfiguration is OFF",
    ),
    # SEC-COGNITO-NO-SIGNUP
    BASE.case(SIGNUP),
    BASE.mutate(
        SIGNUP,
        "self sign-up allowed",
        "users",
        "adminCreateUserConfig.allowAdminCreateUserOnly",
        False,
        level="mandatory",
        message="allowAdminCreateUserOnly is not true",
    ),
    BASE.mutate(
        SIGNUP,
        "no adminCreateUserConfig (AWS default allows sign-up)",
        "users",
        "adminCreateUserConfig",
        DELETE,
    ),
    BASE.mutate(
        SIGNUP,
        "flag unknown at preview",
        "users",
        "adminCreateUserConfig.allowAdminCreateUserOnly",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.mutate(
        SIGNUP,
        "self sign-up on dev is still mandatory",
        "users",
        "adminCreateUserConfig.allowAdminCreateUserOnly",
        False,
        level="mandatory",
    ),
    # SEC-COGNITO-PASSWORDS: the password policy.
    BASE.case(PASSWORDS),
    BASE.mutate(
        PASSWORDS,
        "length 10 on prod",
        "users",
        "passwordPolicy.minimumLength",
        10.0,
        level="mandatory",
        message="minimumLength is 10; use at least 12",
    ),
    DEV.mutate(PASSWORDS, "length 10 on dev", "users", "passwordPolicy.minimumLength", 10.0, expect="pass"),
    DEV.mutate(
        PASSWORDS,
        "length 6 on dev (advisory there)",
        "users",
        "passwordPolicy.minimumLength",
        6.0,
        level="advisory",
        message="use at least 8 on dev stacks",
    ),
    BASE.mutate(
        PASSWORDS,
        "symbols not required",
        "users",
        "passwordPolicy.requireSymbols",
        False,
        message="leaves requireSymbols off",
    ),
    BASE.mutate(
        PASSWORDS,
        "uppercase unset inside the block",
        "users",
        "passwordPolicy.requireUppercase",
        DELETE,
        message="requireUppercase",
    ),
    BASE.mutate(
        PASSWORDS,
        "temporary passwords valid 30 days",
        "users",
        "passwordPolicy.temporaryPasswordValidityDays",
        30.0,
        message="at most 7",
    ),
    BASE.mutate(
        PASSWORDS,
        "no policy: AWS default length 8 on prod",
        "users",
        "passwordPolicy",
        DELETE,
        message="(not set: AWS's default)",
    ),
    DEV.mutate(
        PASSWORDS,
        "no policy: AWS defaults are enough on dev",
        "users",
        "passwordPolicy",
        DELETE,
        expect="pass",
    ),
    BASE.mutate(
        PASSWORDS,
        "length unknown at preview",
        "users",
        "passwordPolicy.minimumLength",
        UNKNOWN,
        expect="not-evaluated",
    ),
    # SEC-COGNITO-PASSWORDS: threat protection outside dev.
    BASE.case(THREATS),
    BASE.mutate(
        THREATS,
        "audit only",
        "users",
        "userPoolAddOns.advancedSecurityMode",
        "AUDIT",
        level="mandatory",
        message="advancedSecurityMode is AUDIT; set it to ENFORCED",
    ),
    BASE.mutate(
        THREATS, "no add-ons block", "users", "userPoolAddOns", DELETE, message="advancedSecurityMode is OFF"
    ),
    BASE.mutate(
        THREATS,
        "essentials tier",
        "users",
        "userPoolTier",
        "ESSENTIALS",
        message="needs the PLUS feature plan",
    ),
    BASE.mutate(THREATS, "tier unset", "users", "userPoolTier", DELETE, message="default to ESSENTIALS"),
    BASE.mutate(
        THREATS,
        "mode unknown at preview",
        "users",
        "userPoolAddOns.advancedSecurityMode",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.mutate(THREATS, "not applicable on dev", "users", "userPoolAddOns", DELETE, expect="pass"),
    # SEC-COGNITO-NO-GUEST
    IDENTITY.case(GUEST),
    IDENTITY.mutate(
        GUEST,
        "guest identities allowed",
        "identities",
        "allowUnauthenticatedIdentities",
        True,
        level="mandatory",
        message="allowUnauthenticatedIdentities is true",
    ),
    IDENTITY.mutate(
        GUEST,
        "unset defaults to no guests",
        "identities",
        "allowUnauthenticatedIdentities",
        DELETE,
        expect="pass",
    ),
    IDENTITY.mutate(
        GUEST,
        "flag unknown at preview",
        "identities",
        "allowUnauthenticatedIdentities",
        UNKNOWN,
        expect="not-evaluated",
    ),
    Baseline(IDENTITY.resources, stack="dev").mutate(
        GUEST,
        "guests on dev are still mandatory",
        "identities",
        "allowUnauthenticatedIdentities",
        True,
        level="mandatory",
    ),
    # SEC-ADMIN-GROUP (stack policy)
    BASE.case(ADMIN),
    BASE.without(
        ADMIN,
        "no group at all",
        "users-admin",
        level="mandatory",
        message="User pool users has no administrators group",
    ),
    DEV.without(ADMIN, "no group on dev is still mandatory", "users-admin", level="mandatory"),
    Baseline((Resource(POOL, "users", pool_props()), users("prod", name="readers"))).case(
        ADMIN, "only a non-admin group", expect="violation", message="(its groups: readers)"
    ),
    Baseline(
        (
            Resource(POOL, "users", pool_props(id="eu-west-1_AbC123")),
            Resource(GROUP, "admins", {"name": "admin", "userPoolId": "eu-west-1_AbC123"}),
        )
    ).case(ADMIN, "group linked by a known pool id"),
    Baseline(
        (
            Resource(POOL, "users", pool_props(id="eu-west-1_AbC123")),
            Resource(GROUP, "admins", {"name": "admin", "userPoolId": "eu-west-1_Other"}),
        )
    ).case(ADMIN, "admin group of another pool id", expect="violation"),
    Baseline(
        (
            Resource(POOL, "users", pool_props()),
            Resource(POOL, "partners", pool_props()),
            users("prod", pool="partners"),
        )
    ).case(
        ADMIN,
        "a second pool without its own group",
        expect="violation",
        message="User pool users has no administrators group",
    ),
    Baseline(
        (
            Resource(POOL, "users", pool_props()),
            Resource(GROUP, "admins", {"name": "admin", "userPoolId": UNKNOWN}),
        )
    ).case(ADMIN, "pool of the group unknown and not linked", expect="not-evaluated"),
    BASE.mutate(
        ADMIN, "group name unknown at preview", "users-admin", "name", UNKNOWN, expect="not-evaluated"
    ),
    BASE.case(
        ADMIN,
        "admin group name from pack config",
        expect="violation",
        config={"stack-profile": {"adminGroups": ["Administrators"]}},
        message="['Administrators']",
    ),
    Baseline((Resource(POOL, "users", pool_props()), users("prod", name="Administrators"))).case(
        ADMIN, "configured admin group name", config={"stack-profile": {"adminGroups": ["Administrators"]}}
    ),
]
