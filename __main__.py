"""The chatbot stack: read the validated settings, build the stack, export its outputs."""

import pulumi

from components.settings import SettingsError, load_settings
from components.stack import build_stack

try:
    settings = load_settings()
except SettingsError as err:
    # RunError prints the message alone: every settings problem, no traceback.
    raise pulumi.RunError(str(err)) from None

for output_name, value in build_stack(settings).items():
    pulumi.export(output_name, value)
