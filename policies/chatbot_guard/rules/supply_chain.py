"""Container images (SEC-CONTAINER-IMAGES, advisory): every image a model, function or document
processing job runs is pinned by digest or comes from an ECR repository the stack owns.

A tag such as ``unstructured:latest`` on a public registry can be moved by someone else to different
code between two deployments. A stack policy, because "the stack owns the repository" needs the
``aws.ecr.Repository`` resources: an image whose reference is computed from a repository's URL is
linked to it by a property dependency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import dependencies_of_type
from ..metadata import RuleMeta, stack_policy
from ..props import Known, Lookup, Unknown, check_all, known, lookup

REPOSITORY = "aws:ecr/repository:Repository"
MODEL = "aws:sagemaker/model:Model"
FUNCTION = "aws:lambda/function:Function"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")

META = RuleMeta(
    name="container-image-provenance",
    description=(
        "Container images of SageMaker models, Lambda functions, ECS task definitions and Batch job "
        "definitions are pinned by digest (@sha256:...) or come from an ECR repository the stack creates."
    ),
    severity="medium",
    catalogue_level="advisory",
    catalogue_ids=("SEC-CONTAINER-IMAGES",),
    resource_types=(REPOSITORY, MODEL, FUNCTION, TASK_DEFINITION, JOB_DEFINITION),
    remediation=(
        "Reference the image as <registry>/<name>@sha256:<digest> (record the upstream tag and source in "
        "a comment or tag next to it), or copy it into an aws.ecr.Repository the stack creates "
        "(image_tag_mutability=\"IMMUTABLE\", scan on push) and build the reference from "
        "repository.repository_url."
    ),
    url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
)


def _json_images(text: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Images named inside a JSON text property (ECS containerDefinitions, Batch *Properties)."""
    try:
        data = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return
    stack: list[tuple[str, Any]] = [(where, data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    yield f"{path}.image", value
                else:
                    stack.append((f"{path}.{key}", value))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(node))


def images(resource: PolicyResource) -> Iterator[tuple[str, str, Lookup]]:
    """(top-level property, path, image lookup) for every image reference of the resource."""
    props = resource.props
    if resource.resource_type == FUNCTION:
        yield "imageUri", "imageUri", lookup(props, "imageUri")
    elif resource.resource_type == MODEL:
        yield "primaryContainer", "primaryContainer.image", lookup(props, "primaryContainer.image")
        found = lookup(props, "containers")
        count = len(found.value) if isinstance(found, Known) else 0
        for i in range(count):
            yield "containers", f"containers[{i}].image", lookup(props, f"containers[{i}].image")
        if isinstance(found, Unknown):
            yield "containers", "containers", found
    elif resource.resource_type == JOB_DEFINITION:
        pods = lookup(props, "eksProperties.podProperties.containers")
        for i in range(len(pods.value) if isinstance(pods, Known) else 0):
            path = f"eksProperties.podProperties.containers[{i}].image"
            yield "eksProperties", path, lookup(props, path)
    texts = {TASK_DEFINITION: ("containerDefinitions",),
             JOB_DEFINITION: ("containerProperties", "ecsProperties", "nodeProperties")}
    for prop in texts.get(resource.resource_type, ()):
        found = lookup(props, prop)
        if isinstance(found, Unknown):
            yield prop, prop, found
        elif isinstance(found, Known):
            for path, image in _json_images(found.value, prop):
                yield prop, path, Known(image)


def _repository_prefixes(repositories: list[PolicyResource]) -> set[str]:
    prefixes = {known(r.props, "repositoryUrl") for r in repositories} - {None, ""}
    return {f"{p}:" for p in prefixes} | {f"{p}@" for p in prefixes}


def _owned(image: str, repositories: list[PolicyResource]) -> bool:
    if any(image.startswith(p) for p in _repository_prefixes(repositories)):
        return True
    names = {known(r.props, "name") for r in repositories} - {None, ""}
    name = ECR_HOST.sub("", image).split("@")[0].split(":")[0] if ECR_HOST.match(image) else None
    return name in names


def _check(resource: PolicyResource, repositories: list[PolicyResource], report: ReportViolation) -> None:
    pending: list[str] = []
    for prop, path, found in images(resource):
        linked = bool(dependencies_of_type(resource, prop, (REPOSITORY,)))
        if isinstance(found, Unknown):
            # A computed image reference built from the stack's repository URL is owned; a computed
            # JSON text (or container list) may hold other images too, so it waits for `pulumi up`.
            scalar = path.endswith(".image") or path == "imageUri"
            if not (scalar and linked):
                pending.append(path)
            continue
        if not isinstance(found, Known) or not found.value:
            continue
        image = str(found.value)
        if DIGEST.search(image) or _owned(image, repositories):
            continue
        report(f"{resource.name}: {path} is {image}, neither pinned by digest (@sha256:...) nor from an "
               "ECR repository this stack creates.", resource.urn)
    if pending:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [resource.name, pending[0]])


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    repositories = [r for r in args.resources if r.resource_type == REPOSITORY]
    kinds = (MODEL, FUNCTION, TASK_DEFINITION, JOB_DEFINITION)
    subjects = [r for r in args.resources if r.resource_type in kinds]
    check_all(*(partial(_check, r, repositories, report) for r in subjects))


POLICIES = [stack_policy(META, validate)]
