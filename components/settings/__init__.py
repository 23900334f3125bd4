"""Stack settings: one immutable, validated object built from the stack's Pulumi config."""

from components.settings.errors import SettingsError, SettingsProblem
from components.settings.loader import load_settings, settings_from_config
from components.settings.model import (
    CONFIG_NAMESPACE,
    Environment,
    Setting,
    SettingSpec,
    StackSettings,
    TlsVersion,
    setting_specs,
)

__all__ = [
    "CONFIG_NAMESPACE",
    "Environment",
    "Setting",
    "SettingSpec",
    "SettingsError",
    "SettingsProblem",
    "StackSettings",
    "TlsVersion",
    "load_settings",
    "setting_specs",
    "settings_from_config",
]
