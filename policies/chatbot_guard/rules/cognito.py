"""Cognito user pools: MFA, no self sign-up, password policy, threat protection.

Guest identities and the admin group are in ``cognito_access.py``.

SEC-COGNITO-MFA is split in two rules so that each keeps a plain enforcement level:
- ``cognito-mfa-required`` (non-dev): mfaConfiguration is ON. On dev stacks the analyzer makes it
  advisory, which matches the catalogue ("at least optional MFA in dev").
- ``cognito-mfa-enabled`` (all): MFA is never OFF and TOTP is enabled, on every stack, so a dev stack
  with MFA switched off still fails.
SEC-COGNITO-PASSWORDS is split the same way: ``cognito-password-policy`` (non-dev, with the dev length
floor of 8) and ``cognito-threat-protection`` (non-dev, not applicable on dev stacks, where the PLUS
feature plan it needs is a cost the catalogue does not ask for).
"""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, require_known
from ..settings import current_settings

USER_POOL = "aws:cognito/userPool:UserPool"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
USER_GROUP = "aws:cognito/userGroup:UserGroup"

_MFA_URL = "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa.html"
_MFA_FIX = (
    "On the aws.cognito.UserPool set mfa_configuration='ON' and "
    "software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True)."
)

MFA_REQUIRED = RuleMeta(
    name="cognito-mfa-required",
    description="Cognito user pools require MFA (mfaConfiguration ON) outside development stacks.",
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-COGNITO-MFA",),
    resource_types=(USER_POOL,),
    remediation=_MFA_FIX,
    url=_MFA_URL,
    equivalents=Equivalents(cdk_nag=("AwsSolutions-COG2",), pdk_nag=("AwsPrototyping-CognitoUserPoolMFA",)),
)

MFA_ENABLED = RuleMeta(
    name="cognito-mfa-enabled",
    description=(
        "Cognito user pools never turn MFA off (OPTIONAL is the least allowed, on dev stacks) and enable "
        "software-token (TOTP) MFA."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-COGNITO-MFA",),
    resource_types=(USER_POOL,),
    remediation=_MFA_FIX + " Dev stacks may use mfa_configuration='OPTIONAL', never 'OFF'.",
    url=_MFA_URL,
    equivalents=MFA_REQUIRED.equivalents,
)

NO_SIGNUP = RuleMeta(
    name="cognito-no-self-signup",
    description="Only administrators create users in Cognito user pools (self sign-up is off).",
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-COGNITO-NO-SIGNUP",),
    resource_types=(USER_POOL,),
    remediation=(
        "Set admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs("
        "allow_admin_create_user_only=True) on the aws.cognito.UserPool."
    ),
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html",
)

PASSWORDS = RuleMeta(
    name="cognito-password-policy",
    description=(
        "Cognito password policy: minimum length 12 (8 on dev stacks), upper and lower case, numbers and "
        "symbols required, temporary passwords valid for at most 7 days."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-COGNITO-PASSWORDS",),
    resource_types=(USER_POOL,),
    remediation=(
        "Set password_policy=aws.cognito.UserPoolPasswordPolicyArgs(minimum_length=12, "
        "require_uppercase=True, require_lowercase=True, require_numbers=True, require_symbols=True, "
        "temporary_password_validity_days=7) on the aws.cognito.UserPool."
    ),
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/managing-users-passwords.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-COG1",), pdk_nag=("AwsPrototyping-CognitoUserPoolStrongPasswordPolicy",)
    ),
)

THREAT_PROTECTION = RuleMeta(
    name="cognito-threat-protection",
    description=(
        "Cognito user pools outside development stacks enforce threat protection (advanced security mode "
        "ENFORCED, which needs the PLUS feature plan)."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-COGNITO-PASSWORDS",),
    resource_types=(USER_POOL,),
    remediation=(
        "On the aws.cognito.UserPool set user_pool_tier='PLUS' and user_pool_add_ons="
        "aws.cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode='ENFORCED')."
    ),
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-settings-threat-protection.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-COG3", "AwsSolutions-COG8"),
        pdk_nag=("AwsPrototyping-CognitoUserPoolAdvancedSecurityModeEnforced",),
    ),
)

def _mfa_mode(args: ResourceValidationArgs) -> str:
    # AWS's default when mfaConfiguration is not set is OFF.
    return str(require_known(args.props, "mfaConfiguration", "OFF"))


def validate_mfa_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mode = _mfa_mode(args)
    if mode != "ON":
        fix = "set it to ON (TOTP via softwareTokenMfaConfiguration.enabled)"
        report(f"mfaConfiguration is {mode}; {fix}.", None)


def validate_mfa_enabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    def mode() -> None:
        if _mfa_mode(args) == "OFF":
            fix = "set it to ON (OPTIONAL is the least allowed, on dev stacks)"
            report(f"mfaConfiguration is OFF; {fix}.", None)

    def totp() -> None:
        if require_known(args.props, "softwareTokenMfaConfiguration.enabled", False) is not True:
            fix = "enable software-token (TOTP) MFA"
            report(f"softwareTokenMfaConfiguration.enabled is not true; {fix}.", None)

    check_all(mode, totp)


def validate_no_signup(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # AWS's default is false: anyone who can reach the app client can sign up.
    if require_known(args.props, "adminCreateUserConfig.allowAdminCreateUserOnly", False) is not True:
        report(
            "adminCreateUserConfig.allowAdminCreateUserOnly is not true, so users can sign themselves up; "
            "set it to true.",
            None,
        )


_CHARACTER_CLASSES = ("requireUppercase", "requireLowercase", "requireNumbers", "requireSymbols")
# AWS's defaults when no password policy is given at all.
_AWS_DEFAULT_POLICY = {"minimumLength": 8.0, "temporaryPasswordValidityDays": 7.0} | dict.fromkeys(
    _CHARACTER_CLASSES, True
)
MAX_TEMPORARY_DAYS = 7


def _shown(number: object) -> str:
    return f"{number:g}" if isinstance(number, int | float) else repr(number)


def validate_passwords(args: ResourceValidationArgs, report: ReportViolation) -> None:
    dev = current_settings().is_dev_stack()
    floor = 8 if dev else 12
    where = "on dev stacks" if dev else "outside dev stacks"
    given = require_known(args.props, "passwordPolicy") is not None

    def value(field: str, default: object) -> object:
        if not given:
            return _AWS_DEFAULT_POLICY[field]
        return require_known(args.props, f"passwordPolicy.{field}", default)

    def length() -> None:
        minimum = value("minimumLength", 8.0)
        if not isinstance(minimum, int | float) or minimum < floor:
            unset = "" if given else " (not set: AWS's default)"
            report(
                f"passwordPolicy.minimumLength is {_shown(minimum)}{unset}; use at least {floor} {where}.",
                None,
            )

    def classes() -> None:
        off = [flag for flag in _CHARACTER_CLASSES if value(flag, False) is not True]
        if off:
            report(f"passwordPolicy leaves {', '.join(off)} off; require all four character classes.", None)

    def temporary() -> None:
        days = value("temporaryPasswordValidityDays", 7.0)
        if not isinstance(days, int | float) or days > MAX_TEMPORARY_DAYS:
            limit = f"use at most {MAX_TEMPORARY_DAYS}"
            report(f"passwordPolicy.temporaryPasswordValidityDays is {_shown(days)}; {limit}.", None)

    check_all(length, classes, temporary)


def validate_threat_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if current_settings().is_dev_stack():
        args.not_applicable("threat protection is required outside development stacks only")

    def mode() -> None:
        mode = require_known(args.props, "userPoolAddOns.advancedSecurityMode", "OFF")
        if mode != "ENFORCED":
            report(f"userPoolAddOns.advancedSecurityMode is {mode}; set it to ENFORCED.", None)

    def tier() -> None:
        tier = require_known(args.props, "userPoolTier")
        if tier != "PLUS":
            shown = tier if tier is not None else "not set (new pools default to ESSENTIALS)"
            report(f"userPoolTier is {shown}; threat protection needs the PLUS feature plan.", None)

    check_all(mode, tier)


POLICIES = [
    resource_policy(MFA_REQUIRED, validate_mfa_required),
    resource_policy(MFA_ENABLED, validate_mfa_enabled),
    resource_policy(NO_SIGNUP, validate_no_signup),
    resource_policy(PASSWORDS, validate_passwords),
    resource_policy(THREAT_PROTECTION, validate_threat_protection),
]
