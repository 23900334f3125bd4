"""The stack wizard: `python -m tools.configure` writes a Pulumi.<stack>.yaml that the program loads.

Defaults, help text, rules and the cost and security effect of each choice come from the settings model
(components/settings); answers are checked by the same loader the program uses.
"""
