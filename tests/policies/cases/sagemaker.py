"""Fixtures for rules/sagemaker.py: sagemaker-third-party-models and sagemaker-endpoint-hardening."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
IMAGE = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-tgi-inference@sha256:" + "b" * 64
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222"

BASE = Baseline(
    (
        Resource(
            MODEL,
            "mistral",
            {
                "executionRoleArn": "arn:aws:iam::123456789012:role/sm",
                "enableNetworkIsolation": True,
                "primaryContainer": {
                    "image": IMAGE,
                    "modelDataUrl": "s3://chatbot-models/mistral-7b/model.tar.gz",
                    "environment": {"SM_NUM_GPUS": "1"},
                },
            },
        ),
        Resource(
            CONFIG,
            "mistral-config",
            {
                "kmsKeyArn": UNKNOWN,
                "productionVariants": [
                    {
                        "variantName": "main",
                        "modelName": "mistral",
                        "instanceType": "ml.m5.xlarge",
                        "initialInstanceCount": 1.0,
                    }
                ],
            },
        ),
    )
)
DEV = Baseline(BASE.resources, stack="dev")
T, H = "sagemaker-third-party-models", "sagemaker-endpoint-hardening"
CASES = [
    BASE.case(T, "weights from the stack's S3 bucket"),
    BASE.mutate(
        T,
        "Hugging Face hub id",
        "mistral",
        "primaryContainer.environment",
        {"HF_MODEL_ID": "tiiuae/falcon-7b"},
        level="advisory",
        message="weights from huggingface.co/tiiuae/falcon-7b",
    ),
    BASE.mutate(
        T,
        "HF_MODEL_ID pointing at the local copy of S3 weights (TGI) is not a hub",
        "mistral",
        "primaryContainer.environment",
        {"HF_MODEL_ID": "/opt/ml/model"},
        expect="pass",
    ),
    BASE.mutate(
        T,
        "non-S3 model URL",
        "mistral",
        "primaryContainer.modelDataUrl",
        "https://example.com/model.tar.gz",
        message="https://example.com/model.tar.gz",
    ),
    BASE.mutate(
        T,
        "containers[] (second container path)",
        "mistral",
        "containers",
        [{"image": IMAGE, "environment": {"HF_MODEL_ID": "mistralai/Mixtral-8x7B"}}],
        message="containers[0].environment.HF_MODEL_ID",
    ),
    BASE.mutate(
        T,
        "modelDataSource from S3 passes",
        "mistral",
        "primaryContainer.modelDataSource",
        {
            "s3DataSources": [
                {"s3Uri": "s3://chatbot-models/m/", "s3DataType": "S3Prefix", "compressionType": "None"}
            ]
        },
        expect="pass",
    ),
    BASE.mutate(
        T,
        "Marketplace package",
        "mistral",
        "primaryContainer",
        {"modelPackageName": "arn:aws:sagemaker:eu-west-1:985815980388:model-package/aws-marketplace-x"},
        message="AWS Marketplace",
    ),
    BASE.mutate(
        T, "model URL unknown", "mistral", "primaryContainer.modelDataUrl", UNKNOWN, expect="not-evaluated"
    ),
    BASE.case(H, "KMS key and network isolation"),
    BASE.mutate(
        H,
        "endpoint config without kmsKeyArn",
        "mistral-config",
        "kmsKeyArn",
        DELETE,
        level="mandatory",
        message="kmsKeyArn",
    ),
    BASE.mutate(
        H,
        "model without isolation or VPC",
        "mistral",
        "enableNetworkIsolation",
        DELETE,
        message="enableNetworkIsolation",
    ),
    BASE.mutate(H, "isolation false", "mistral", "enableNetworkIsolation", False),
    BASE.mutate(
        H,
        "model in a VPC",
        "mistral",
        "vpcConfig",
        {"subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
        expect="pass",
    ),
    BASE.mutate(
        H, "isolation flag unknown", "mistral", "enableNetworkIsolation", UNKNOWN, expect="not-evaluated"
    ),
    DEV.mutate(H, "no key on dev is advisory", "mistral-config", "kmsKeyArn", DELETE, level="advisory"),
]
_G5 = Baseline(
    tuple(
        Resource(
            r.type,
            r.name,
            {"productionVariants": [{**r.props["productionVariants"][0], "instanceType": "ml.g5.2xlarge"}]},
        )
        if r.type == CONFIG
        else r
        for r in BASE.resources
    )
)
CASES.append(_G5.case(H, "g5 local NVMe storage cannot take a KMS key"))
CASES.append(
    _G5.mutate(
        H,
        "instance type unknown",
        "mistral-config",
        "productionVariants.0.instanceType",
        UNKNOWN,
        expect="not-evaluated",
    )
)
