"""Delivery channels behind one interface: the in-app inbox, WeCom group robots, WeChat template messages."""

from services.notify.channels.base import Channel, Delivery, DeliveryResult

__all__ = ["Channel", "Delivery", "DeliveryResult"]
