"""Rules of the retrieval settings: capacity bounds, a warm database and backups outside dev, and a path
from the VPC functions to Bedrock.

The database settings only matter when ragEnabled is true, so the rules about them hold only then (their
defaults are the cheapest choice, which a production stack must raise once it turns retrieval on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules.base import Rule, outside_dev

if TYPE_CHECKING:
    from components.settings.model import StackSettings

MIN_BACKUP_DAYS_OUTSIDE_DEV = 7
DEFAULT_AUTO_PAUSE_SECONDS = 300


def _acu(value: float) -> str:
    return f"{value:g}"


def _max_at_least_min(s: StackSettings) -> str | None:
    if s.rag_db_max_acu >= s.rag_db_min_acu:
        return None
    return (f"ragDbMaxAcu ({s.rag_db_max_acu}) must be at least ragDbMinAcu ({_acu(s.rag_db_min_acu)}): "
            "Aurora scales the database between the two")


def _warm_outside_dev(s: StackSettings) -> str | None:
    if not s.rag_enabled or s.is_dev or s.rag_db_min_acu > 0:
        return None
    # Availability, not a catalogue control, so no catalogue ID (outside_dev names one).
    return (f"ragDbMinAcu 0 (auto-pause) is allowed only when environment is dev, not {s.environment}: a "
            "paused database makes the first question after an idle period wait about 15 seconds; set 0.5 "
            "or more")


def _auto_pause_only_when_pausing(s: StackSettings) -> str | None:
    if s.rag_db_auto_pause or s.rag_db_auto_pause_seconds == DEFAULT_AUTO_PAUSE_SECONDS:
        return None
    return (f"ragDbAutoPauseSeconds ({s.rag_db_auto_pause_seconds}) is only used when ragDbMinAcu is 0, "
            f"but ragDbMinAcu is {_acu(s.rag_db_min_acu)}; leave it unset (a value here would be silently "
            "ignored) or set ragDbMinAcu to 0")


def _backups_outside_dev(s: StackSettings) -> str | None:
    days = s.rag_db_backup_retention_days
    if not s.rag_enabled or s.is_dev or days >= MIN_BACKUP_DAYS_OUTSIDE_DEV:
        return None
    return outside_dev(s, "ragDbBackupRetentionDays", days, "SEC-BACKUPS",
                       f"keep at least {MIN_BACKUP_DAYS_OUTSIDE_DEV} days of automated backups")


def _bedrock_reachable(s: StackSettings) -> str | None:
    if not s.rag_enabled or s.bedrock_region == s.region or s.nat_gateway:
        return None
    how = ("set natGateway to true, or leave bedrockRegion empty" if s.vpc_id is None
           else "leave bedrockRegion empty (natGateway is only for a VPC the stack creates)")
    return (f"ragEnabled needs Bedrock in the stack's region ({s.region}), but bedrockRegion is "
            f"{s.bedrock_region} and natGateway is false: the retrieval functions run in the VPC and reach "
            f"Bedrock only through the regional bedrock-runtime interface endpoint; {how}")


RULES = (
    Rule(("rag_db_max_acu", "rag_db_min_acu"), _max_at_least_min),
    Rule(("rag_db_min_acu", "environment"), _warm_outside_dev, depends=("rag_enabled",)),
    Rule(("rag_db_auto_pause_seconds", "rag_db_min_acu"), _auto_pause_only_when_pausing),
    Rule(("rag_db_backup_retention_days", "environment"), _backups_outside_dev, depends=("rag_enabled",)),
    Rule(("rag_enabled", "bedrock_region_override", "nat_gateway"), _bedrock_reachable,
         depends=("region", "vpc_id")),
)
