"""SiteContent: the web UI's files (app/web) and its runtime config.json, uploaded to the content bucket.

The UI is plain ES modules, so deploying it needs no Node.js: every file under app/web becomes one S3
object with its content type. `config.json` is written at deploy time from the stack's outputs (API URLs,
the user pool client, the hosted UI), so the same files serve every stack. Objects take the bucket's
default encryption (SSE-KMS with the data key, or SSE-S3 in dev); nothing here can weaken it.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

WEB_ROOT = Path(__file__).resolve().parent.parent / "app" / "web"
CONFIG_KEY = "config.json"
# Never shipped to the browser: the UI's own tests, its Node marker and its notes.
SKIPPED_PARTS = frozenset({"tests", "node_modules", "package.json", "README.md"})
# Every object revalidates: the file names carry no version, and modules and styles change with each release.
NO_CACHE = "no-cache"
_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".json": "application/json", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8",
          ".webmanifest": "application/manifest+json"}


@dataclass(frozen=True)
class RuntimeConfig:
    """What app/web/js reads from /config.json (the contract in app/README.md, "Web UI")."""

    mode: str
    api_url: pulumi.Input[str]
    websocket_url: pulumi.Input[str]
    client_id: pulumi.Input[str]
    hosted_ui_domain: pulumi.Input[str]  # <prefix>.auth.<region>.amazoncognito.com
    site_url: pulumi.Input[str]  # the Cognito callback and logout URL (exactly as registered)
    scopes: tuple[str, ...]
    admin_group: str = "admin"
    workspace_manager_group: str = "workspace_manager"
    embedding_models: tuple[str, ...] = ()  # what the create-workspace form offers (retrieval on)

    def document(self) -> pulumi.Output[str]:
        def render(values: list[Any]) -> str:
            api_url, websocket_url, client_id, domain, site_url = values
            auth = f"https://{domain}"
            return json.dumps({
                "mode": self.mode,
                "apiUrl": api_url.rstrip("/"),
                "websocketUrl": websocket_url,
                "auth": {
                    "authorizeUrl": f"{auth}/oauth2/authorize",
                    "tokenUrl": f"{auth}/oauth2/token",
                    "logoutUrl": f"{auth}/logout",
                    "clientId": client_id,
                    "redirectUri": site_url,
                    "scopes": list(self.scopes),
                },
                "adminGroup": self.admin_group,
                "workspaceManagerGroup": self.workspace_manager_group,
                "notice": None,
                "embeddingModels": list(self.embedding_models),
            }, indent=2, sort_keys=True)

        return pulumi.Output.all(self.api_url, self.websocket_url, self.client_id, self.hosted_ui_domain,
                                 self.site_url).apply(render)


def content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def site_files(root: Path = WEB_ROOT) -> dict[str, Path]:
    """Object key -> file, for every file the browser needs (sorted, so the plan is stable)."""
    if not (root / "index.html").is_file():
        raise ValueError(f"the web UI has no {root / 'index.html'}")
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if SKIPPED_PARTS & set(relative.parts) or relative.name.startswith("."):
            continue
        if relative.as_posix() == CONFIG_KEY:
            raise ValueError(f"{path} would be overwritten by the generated {CONFIG_KEY}; remove it")
        files[relative.as_posix()] = path
    return files


@dataclass(frozen=True)
class SiteContentArgs:
    bucket_name: pulumi.Input[str]
    config: RuntimeConfig
    root: Path = WEB_ROOT


class SiteContent(pulumi.ComponentResource):
    objects: Mapping[str, aws.s3.BucketObjectv2]

    def __init__(self, name: str, args: SiteContentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:web:SiteContent", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        objects: dict[str, aws.s3.BucketObjectv2] = {}
        for key, path in site_files(args.root).items():
            objects[key] = aws.s3.BucketObjectv2(
                f"{name}-{key.replace('/', '-')}",
                bucket=args.bucket_name,
                key=key,
                source=pulumi.FileAsset(str(path)),
                content_type=content_type(path),
                cache_control=NO_CACHE,
                opts=child,
            )
        objects[CONFIG_KEY] = aws.s3.BucketObjectv2(
            f"{name}-config",
            bucket=args.bucket_name,
            key=CONFIG_KEY,
            content=args.config.document(),
            content_type="application/json",
            cache_control=NO_CACHE,
            opts=child,
        )
        self.objects = objects
        self.register_outputs({"keys": sorted(objects)})
