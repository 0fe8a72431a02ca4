"""Channels: one module per way of reaching a person, all behind the interface in base.py."""
