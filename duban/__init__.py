"""Duban's composition root: the CLI, the process wiring and service. Nothing imports it.

Importing it registers every channel adapter in scheduler/channels/registry.py, so that the
settings (DUBAN_CHANNELS) know them before any command reads the settings."""

import bot.channel  # noqa: F401 - registers the Telegram channel
