"""Errors the local server reports to the user without a traceback."""


class StartupError(RuntimeError):
    """A problem the user can fix; the message names the flag or file to change."""
