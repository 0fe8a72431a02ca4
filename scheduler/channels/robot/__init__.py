"""What the group robots (WeCom, DingTalk, Feishu) and the signed webhook share: posting JSON over
HTTPS with httpx, opening the sealed endpoint, reading the platform's answer (base.py); each kind
is its own folder beside this one with its request, its errors, its layout and its tests."""
