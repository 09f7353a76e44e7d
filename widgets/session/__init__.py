"""The session screen: one component per step of the chair visit, the record shown beside them."""

from widgets.session.screen import SessionScreen

__all__ = ["SessionScreen"]
