"""Stack-wide settings: kind of stack, naming, ownership, encryption, retention; and the AWS region."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from components.settings.setting import REGION_PATTERN, Environment, Setting, matches, one_of

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
PREFIX_PATTERN = r"^[a-z][a-z0-9-]{1,19}$"
OWNER_PATTERN = r"^[A-Za-z0-9 _.:/=+@-]{1,64}$"


class StackFields(BaseModel):
    stack: str = Field(min_length=1, description="Name of the Pulumi stack.")
    environment: Annotated[Environment, Setting(
        "string", "one of dev, staging, prod",
        dev_relaxation="dev: enables the relaxations in this column",
        effect=(
            "dev allows the cheaper, less protected choices marked as dev-only relaxations; staging "
            "and prod refuse them, so a production stack cannot be weakened by a typo"
        ),
    )] = Field("prod", alias="environment", description=(
        "Kind of stack. Secure by default: anything but dev gets the hardened settings."))
    prefix: Annotated[str, Setting(
        "string", "2-20 characters: lower-case letters, digits and hyphens, starting with a letter "
        f"(`{PREFIX_PATTERN}`)", matches(PREFIX_PATTERN),
    )] = Field("chatbot", alias="prefix", description="Prefix of physical resource names.")
    owner: Annotated[str, Setting(
        "string", "1-64 characters of letters, digits, spaces and _ . : / = + @ - (AWS tag values)",
        matches(OWNER_PATTERN), example="platform-team",
    )] = Field(alias="owner", description="Team that owns the stack; the `owner` tag of every resource.")
    customer_managed_keys: Annotated[bool, Setting(
        "boolean", "true or false; must be true unless environment is dev (SEC-CMK-AT-REST)",
        dev_relaxation="false: data stores use AWS managed keys",
        effect=(
            "true: one KMS key per data class, about $1 a month each plus requests, with key policies "
            "you control and yearly rotation; false: AWS managed keys, free, but you cannot restrict "
            "or audit who may decrypt"
        ),
    )] = Field(True, alias="customerManagedKeys", description=(
        "Encrypt data stores and logs with customer managed KMS keys created by the stack."))
    retain_data: Annotated[bool, Setting(
        "boolean", "true or false; must be true unless environment is dev (SEC-DATA-RETENTION)",
        dev_relaxation="false: stateful resources are deleted with the stack",
        effect=(
            "true: tables, buckets and logs are protected and kept when the stack is destroyed (you "
            "keep paying for their storage until you delete them); false: destroying the stack "
            "deletes the data"
        ),
    )] = Field(True, alias="retainData", description=(
        "Protect stateful resources and keep them when they are deleted from the stack."))
    log_retention_days: Annotated[int, Setting(
        "integer", "one of CloudWatch Logs' retention periods: " + ", ".join(map(str, LOG_RETENTION_DAYS)),
        one_of(LOG_RETENTION_DAYS),
        effect=(
            "CloudWatch Logs storage bills per GB-month, so longer retention costs more; shorter "
            "retention loses the evidence an incident investigation needs"
        ),
    )] = Field(365, alias="logRetentionDays", description="Days that CloudWatch log groups keep log events.")

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"


class RegionFields(BaseModel):
    region: Annotated[str, Setting(
        "string", "an AWS region name such as us-east-1 or us-gov-west-1", matches(REGION_PATTERN),
        namespace="aws", example="us-east-1",
    )] = Field(description="AWS region of the stack's regional resources (the AWS provider's region).")
