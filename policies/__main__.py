"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine> .``): serve the pack over gRPC."""

from chatbot_guard import PACK_NAME, all_policies
from chatbot_guard.analyzer import serve

serve(PACK_NAME, all_policies(), description="Security guardrails for the generative-AI chatbot on AWS.")
