"""SettingsError on its own, so the CLI can catch it without importing the settings' parsers."""


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""
