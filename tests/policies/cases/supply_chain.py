"""Fixtures for rules/supply_chain.py (container-image-provenance)."""

import json

from ..harness import UNKNOWN
from . import Baseline, Resource, ref

REPO = "aws:ecr/repository:Repository"
MODEL = "aws:sagemaker/model:Model"
FUNCTION = "aws:lambda/function:Function"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
JOB = "aws:batch/jobDefinition:JobDefinition"
PINNED = "downloads.unstructured.io/unstructured-io/unstructured@sha256:" + "c" * 64
REPO_URL = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatbot-processor"

BASE = Baseline(
    (
        Resource(
            REPO,
            "processor-repo",
            {"name": "chatbot-processor", "imageTagMutability": "IMMUTABLE", "repositoryUrl": UNKNOWN},
        ),
        Resource(
            FUNCTION,
            "processor",
            {
                "name": "chatbot-processor",
                "packageType": "Image",
                "imageUri": UNKNOWN,
                "role": "arn:aws:iam::123456789012:role/p",
            },
            property_dependencies={"imageUri": [ref(REPO, "processor-repo")]},
        ),
        Resource(
            MODEL,
            "embedder",
            {"executionRoleArn": "arn:aws:iam::123456789012:role/sm", "primaryContainer": {"image": PINNED}},
        ),
        Resource(
            JOB,
            "unstructured",
            {
                "name": "unstructured",
                "type": "container",
                "containerProperties": json.dumps({"image": PINNED, "command": ["run"]}),
            },
        ),
        Resource(
            TASK,
            "crawler",
            {
                "family": "crawler",
                "containerDefinitions": json.dumps(
                    [{"name": "crawler", "image": f"{REPO_URL}:1.4.2", "essential": True}]
                ),
            },
        ),
    )
)
DEV = Baseline(BASE.resources, stack="dev")
R = "container-image-provenance"
CASES = [
    BASE.case(R),
    BASE.mutate(
        R,
        "public tag on a SageMaker model",
        "embedder",
        "primaryContainer.image",
        "ghcr.io/huggingface/text-embeddings-inference:latest",
        level="advisory",
        message="primaryContainer.image is ghcr.io/huggingface/text-embeddings-inference:latest",
    ),
    BASE.mutate(
        R,
        "SageMaker containers[] (second path)",
        "embedder",
        "containers",
        [{"image": "docker.io/library/python:3.12"}],
        message="containers[0].image",
    ),
    BASE.mutate(
        R,
        "Batch containerProperties JSON",
        "unstructured",
        "containerProperties",
        json.dumps({"image": "unstructured-io/unstructured:latest"}),
        message="containerProperties.image",
    ),
    BASE.mutate(
        R,
        "ECS containerDefinitions JSON",
        "crawler",
        "containerDefinitions",
        json.dumps([{"name": "c", "image": "nginx:1.27"}]),
        message="containerDefinitions[0].image",
    ),
    BASE.mutate(
        R,
        "Lambda imageUri with a tag elsewhere",
        "processor",
        "imageUri",
        "999999999999.dkr.ecr.us-east-1.amazonaws.com/other:v1",
        message="imageUri",
    ),
    BASE.mutate(
        R,
        "Lambda imageUri from the stack's repository name",
        "processor",
        "imageUri",
        f"{REPO_URL}:v1",
        expect="pass",
    ),
    BASE.mutate(
        R,
        "ECS definition unknown at preview",
        "crawler",
        "containerDefinitions",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.mutate(
        R,
        "Batch EKS pod containers",
        "unstructured",
        "eksProperties",
        {"podProperties": {"containers": [{"image": "busybox:1.36"}]}},
        message="eksProperties.podProperties.containers[0].image",
    ),
    DEV.mutate(R, "advisory on dev too", "embedder", "primaryContainer.image", "busybox", level="advisory"),
]
