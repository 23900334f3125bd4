"""Pulumi components of the chatbot stack."""
