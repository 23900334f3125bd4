"""Operations settings: alarm notifications, tracing and development tooling."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from components.settings.setting import Setting, matches

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# RFC 5322's common form: a dot-atom local part and a host name with a dot; no quoted or IP-literal forms.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+"
EMAIL_PATTERN = rf"^(?=.{{3,254}}$){_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$"


class OperationsFields(BaseModel):
    alarm_email: Annotated[str | None, Setting(
        "string", "empty, or an e-mail address such as ops@example.com", matches(EMAIL_PATTERN),
        effect="no idle cost (alarms bill either way); without it nobody hears about an alarm",
    )] = Field(None, alias="alarmEmail", description=(
        "Address that alarm notifications are sent to (the subscription must be confirmed)."))
    xray_tracing: Annotated[bool, Setting(
        "boolean", "true or false",
        effect=(
            "bills per recorded trace (about $5 per million after the free tier); traces help find "
            "slow or failing calls"
        ),
    )] = Field(False, alias="xrayTracing", description="Trace functions and APIs with AWS X-Ray.")
    dev_tools: Annotated[bool, Setting(
        "boolean", "true or false; true only when environment is dev (SEC-DEV-TOOLS-DEV-ONLY)",
        dev_relaxation="true: a SageMaker Studio domain for development",
        effect=(
            "true: a SageMaker Studio domain with its home volume and five interface endpoints per "
            "availability zone (about $7 a month each), and notebooks that bill per hour while "
            "running; its role has broad SageMaker access, so dev stacks only"
        ),
    )] = Field(False, alias="devTools", description=(
        "Create development tooling (a SageMaker Studio domain, whose role has broad SageMaker access)."))
