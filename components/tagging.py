"""Stack-wide tags: pure tag logic plus one resource transform that applies it to every taggable resource.

Merge rule (deliberate): a tag a resource already sets is kept, even when its key is one of the required
keys; required keys are only added where missing. A component that sets, say, `owner` on one resource
does so on purpose, and the transform must never silently rewrite a value someone chose.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import keyword
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret, wrap_rpc_secret
from pulumi.type_token import get_type_token

if TYPE_CHECKING:
    from components.settings import StackSettings

REQUIRED_TAG_KEYS = ("app", "stack", "owner")
_PROVIDER_PREFIX = "pulumi:providers:"

TagTransform = Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]


def stack_tags(prefix: str, stack: str, owner: str) -> dict[str, str]:
    """The tags every taggable resource of the stack carries."""
    return {"app": prefix, "stack": stack, "owner": owner}


def merge_tags(existing: Mapping[str, Any] | None, required: Mapping[str, str]) -> dict[str, Any]:
    """Existing tags are kept as they are; required keys are added where missing."""
    merged: dict[str, Any] = dict(required)
    merged.update(existing or {})
    return merged


def resource_class(type_token: str) -> type | None:
    """Resolve `aws:kms/key:Key` to `pulumi_aws.kms.Key`; None when no installed SDK class matches."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] == "pulumi":
        return None
    package, module_path, class_name = parts
    module_name = module_path.split("/")[0]
    python_package = "pulumi_" + package.replace("-", "_")
    if module_name == "index":
        python_module = python_package
    else:
        # The SDK escapes module names that are Python keywords (`lambda` -> `lambda_`).
        python_module = f"{python_package}.{module_name}{'_' if keyword.iskeyword(module_name) else ''}"
    try:
        module = importlib.import_module(python_module)
    except ImportError:
        return None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or get_type_token(cls) != type_token:
        return None
    return cls


@functools.cache
def supports_tags(type_token: str) -> bool:
    """True when the resource's SDK class accepts a `tags` input."""
    cls = resource_class(type_token)
    if cls is None:
        return False
    # Generated classes take **kwargs in __init__; the real parameter list is on _internal_init.
    for fn in (getattr(cls, "_internal_init", None), cls.__init__):
        if fn is not None and "tags" in inspect.signature(fn).parameters:
            return True
    return False


def _with_required(tags: Any, required: Mapping[str, str]) -> Any:
    if tags is None:
        return dict(required)
    if isinstance(tags, pulumi.Output):
        return tags.apply(lambda value: merge_tags(value, required))
    if is_rpc_secret(tags):
        return wrap_rpc_secret(_with_required(unwrap_rpc_secret(tags), required))
    if isinstance(tags, Mapping):
        return merge_tags(tags, required)
    # A wholly unknown tag map (preview): the engine resolves it later; nothing can be merged now.
    return tags


def tagging_transform(required: Mapping[str, str]) -> TagTransform:
    """A resource transform that adds `required` tags to every custom resource whose type has `tags`."""
    frozen = dict(required)

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.custom or args.type_.startswith(_PROVIDER_PREFIX) or not supports_tags(args.type_):
            return None
        props = dict(args.props)
        props["tags"] = _with_required(props.get("tags"), frozen)
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


def register_tagging(settings: StackSettings) -> TagTransform:
    """Register the stack-wide tag transform (the engine runs it for every later resource)."""
    transform = tagging_transform(stack_tags(settings.prefix, settings.stack, settings.owner))
    pulumi.runtime.register_resource_transform(transform)
    return transform
