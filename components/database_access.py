"""What a database client function needs to reach the vector database, and nothing else.

AuroraVectorStore produces it; the functions that query the database (the rag service, the document
processor) consume it. Clients join `client_security_group_id`, the only source the database's security
group admits, and authenticate as `app_user` with IAM tokens (rds-db:connect on exactly that user).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

DATABASE_NAME = "chatbot"
APP_USER = "chatbot_app"  # the login role the migration creates; granted rds_iam and chatbot_rag_app


@dataclass(frozen=True)
class DatabaseAccess:
    host: pulumi.Input[str]
    port: int
    cluster_resource_id: pulumi.Input[str]  # e.g. cluster-ABCDEFGHIJKL: the rds-db:connect ARN names it
    client_security_group_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # private subnets the clients run in
    name: str = DATABASE_NAME
    app_user: str = APP_USER

    def environment(self) -> dict[str, pulumi.Input[str]]:
        """The app's DB_* variables (app/chatbot_app/rag/db.py)."""
        return {
            "DB_HOST": self.host, "DB_PORT": str(self.port), "DB_NAME": self.name, "DB_USER": self.app_user,
        }

    def connect_arn(self, partition: pulumi.Input[str], region: pulumi.Input[str],
                    account: pulumi.Input[str]) -> pulumi.Output[str]:
        """arn:<partition>:rds-db:<region>:<account>:dbuser:<cluster resource id>/<app user>."""
        return pulumi.Output.concat("arn:", partition, ":rds-db:", region, ":", account, ":dbuser:",
                                    self.cluster_resource_id, "/", self.app_user)
