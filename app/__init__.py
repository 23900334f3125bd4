"""The application that runs in AWS: Lambda handlers over a shared core, and the static web UI.

Empty until the chat API issue lands; the stack's components package it from here.
"""
