"""Lambda entry points: each module has ``handler(event, context)``; none imports boto3 at import time."""
