"""Retrieval (RAG) settings: the Aurora PostgreSQL + pgvector database, embedding models and uploads.

The embedding models and upload formats are restated here (not imported from the app package, which the
Pulumi program does not load); tests/settings/test_rag_settings.py keeps them equal to the app's lists.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from components.settings.setting import Setting, between, check_items, setting_error

# app/chatbot_app/rag/embeddings.py MODELS
EMBEDDING_MODELS: tuple[str, ...] = (
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "cohere.embed-multilingual-v3",
)
# app/chatbot_app/rag/parsers CONTENT_TYPES
UPLOAD_FORMATS: tuple[str, ...] = ("pdf", "docx", "pptx", "xlsx", "csv", "html", "markdown", "txt", "json")
# Aurora PostgreSQL versions with both Serverless v2 auto-pause (0 ACU) and pgvector 0.8 (iterative scans).
ENGINE_VERSIONS: tuple[str, ...] = ("16.6", "16.8", "16.9", "16.10", "17.4", "17.5", "17.6")
DEFAULT_PORT = 5432  # the engine's default: refused (SEC-AURORA-NONDEFAULT)
MASTER_USER_PATTERN = r"^[a-z][a-z0-9_]{2,15}$"
# Names guessed first, or reserved by RDS (rdsadmin) or PostgreSQL.
RESERVED_MASTER_USERS: tuple[str, ...] = ("postgres", "admin", "root", "rdsadmin", "master", "user")
MAX_ACU = 256.0
_MASTER_USER = re.compile(MASTER_USER_PATTERN)


def valid_min_acu(value: float) -> bool:
    """0 (auto-pause), or 0.5 to 256 in steps of 0.5, as Aurora Serverless v2 accepts."""
    return 0 <= value <= MAX_ACU and (value * 2).is_integer()


def valid_port(value: int) -> bool:
    return 1150 <= value <= 65535 and value != DEFAULT_PORT


def valid_master_user(value: str) -> bool:
    return _MASTER_USER.fullmatch(value) is not None and value not in RESERVED_MASTER_USERS


class RagFields(BaseModel):
    rag_enabled: Annotated[bool, Setting(
        "boolean", "true or false",
        effect=(
            "true: an Aurora Serverless v2 database, document ingestion (queue, processor) and the "
            "retrieval service; compute bills per ACU-hour above the minimum ACU, storage per GB-month, "
            "and every VPC function needs the bedrock-runtime, sqs and secretsmanager interface "
            "endpoints (about $7 a month each per availability zone)"
        ),
    )] = Field(False, alias="ragEnabled", description=(
        "Retrieval-augmented chat over the users' own documents (Aurora PostgreSQL with pgvector)."))
    rag_db_min_acu: Annotated[float, Setting(
        "string", "0, or a number from 0.5 to 256 in steps of 0.5; at most ragDbMaxAcu; 0 only when "
        "environment is dev if ragEnabled is true", valid_min_acu,
        dev_relaxation="0: the database pauses when idle and the first question waits for it to resume",
        effect=(
            "0: no compute charge while paused, and the first question after a pause waits about 15 s; "
            "each 0.5 ACU kept warm costs about $44 a month"
        ),
    )] = Field(0.0, alias="ragDbMinAcu", description=(
        "Minimum Aurora capacity units of the vector database; 0 pauses it when idle (auto-pause)."))
    rag_db_max_acu: Annotated[int, Setting(
        "integer", "an integer from 1 to 256, at least ragDbMinAcu", between(1, 256),
        effect="caps what a burst of ingestion or questions can cost per hour (0.12 USD per ACU-hour)",
    )] = Field(4, alias="ragDbMaxAcu", description="Maximum Aurora capacity units of the vector database.")
    rag_db_auto_pause_seconds: Annotated[int, Setting(
        "integer", "an integer from 300 to 86400; other than 300 only when ragDbMinAcu is 0",
        between(300, 86_400),
    )] = Field(300, alias="ragDbAutoPauseSeconds", description=(
        "Seconds without connections before the database pauses (used only when ragDbMinAcu is 0)."))
    rag_db_port: Annotated[int, Setting(
        "integer", f"an integer from 1150 to 65535 except {DEFAULT_PORT} (SEC-AURORA-NONDEFAULT)",
        valid_port,
    )] = Field(5433, alias="ragDbPort", description="Port the vector database listens on.")
    rag_db_master_user: Annotated[str, Setting(
        "string", f"3-16 lower-case letters, digits and _, starting with a letter (`{MASTER_USER_PATTERN}`), "
        f"not {', '.join(RESERVED_MASTER_USERS)} (SEC-AURORA-NONDEFAULT)", valid_master_user,
    )] = Field("chatbot_owner", alias="ragDbMasterUser", description=(
        "Master user of the vector database; RDS keeps and rotates its password in Secrets Manager."))
    rag_db_engine_version: Annotated[str, Setting(
        "string", "one of " + ", ".join(ENGINE_VERSIONS) + " (Aurora PostgreSQL versions with "
        "auto-pause and pgvector 0.8)", lambda value: value in ENGINE_VERSIONS,
    )] = Field("16.10", alias="ragDbEngineVersion", description=(
        "Aurora PostgreSQL version of the vector database (minor versions then upgrade automatically)."))
    rag_db_backup_retention_days: Annotated[int, Setting(
        "integer", "an integer from 1 to 35; at least 7 unless environment is dev (SEC-BACKUPS)",
        between(1, 35),
        dev_relaxation="1-6: shorter automated backup retention",
        effect="backup storage beyond the database's size bills per GB-month; fewer days, fewer restores",
    )] = Field(7, alias="ragDbBackupRetentionDays", description=(
        "Days of automated backups (point-in-time restore) of the vector database."))
    rag_db_secret_rotation_days: Annotated[int, Setting(
        "integer", "an integer from 1 to 365 (SEC-SECRET-ROTATION)", between(1, 365),
    )] = Field(30, alias="ragDbSecretRotationDays", description=(
        "Days between rotations of the database master password (RDS rotates it in Secrets Manager)."))
    rag_embedding_models: Annotated[tuple[str, ...], Setting(
        "array", "one or more of " + ", ".join(EMBEDDING_MODELS) + ", no duplicates",
        effect="no idle cost; embeddings bill per input token when documents are ingested and searched",
    )] = Field(("amazon.titan-embed-text-v2:0",), alias="ragEmbeddingModels", description=(
        "Bedrock embedding models workspaces may choose from."))
    rag_max_upload_mb: Annotated[int, Setting(
        "integer", "an integer from 1 to 50 (the document parsers' own limit)", between(1, 50),
        effect="larger files take longer to parse and embed, and cost more per upload",
    )] = Field(25, alias="ragMaxUploadMb", description="Largest document users may upload, in MB.")
    rag_upload_formats: Annotated[tuple[str, ...], Setting(
        "array", "one or more of " + ", ".join(UPLOAD_FORMATS) + ", no duplicates",
    )] = Field(UPLOAD_FORMATS, alias="ragUploadFormats", description="Document formats users may upload.")
    rag_top_k: Annotated[int, Setting(
        "integer", "an integer from 1 to 20", between(1, 20),
        effect="more passages per question give the model more context and cost more input tokens",
    )] = Field(5, alias="ragTopK", description="Passages retrieved for each question.")

    @field_validator("rag_embedding_models")
    @classmethod
    def _check_rag_embedding_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Named apart from the other contexts' validators: one mixin's method would hide another's.
        return _subset(value, EMBEDDING_MODELS, "embedding models")

    @field_validator("rag_upload_formats")
    @classmethod
    def _check_rag_upload_formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _subset(value, UPLOAD_FORMATS, "upload formats")

    @property
    def rag_db_auto_pause(self) -> bool:
        """The database pauses when idle (0 ACU minimum)."""
        return self.rag_db_min_acu == 0


def _subset(value: tuple[str, ...], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not value:
        raise setting_error(f"must list at least one; allowed: {', '.join(allowed)}")
    check_items(value, lambda item: item in allowed, what, ", ".join(allowed))
    return tuple(value)
