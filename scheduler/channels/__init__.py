"""Channels: one module (or, for group robots, one folder) per way of reaching a person, all behind the interface in base.py, each
declared in registry.py where it is defined. The core's own channels register on import of this
package; the adapters' (bot/'s Telegram) when the composition root imports them."""

from scheduler.channels import console, dingtalk, email, feishu, webhook, wecom  # noqa: F401 - they register themselves
