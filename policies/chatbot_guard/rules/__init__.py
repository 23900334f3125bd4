"""One module per AWS service area; each exposes ``POLICIES``."""
