"""The kiosk's look: dark, high contrast, fonts sized from the window height."""

from __future__ import annotations

from PyQt5.QtWidgets import QLabel, QWidget

STATE_COLOURS = {"ok": "#3fb950", "warn": "#f0a030", "bad": "#f04040", "stale": "#707070",
                 "none": "#404040", "unknown": "#707070"}


def stylesheet(height: int) -> str:
    """The application stylesheet for a window `height` pixels high."""
    unit = max(height, 240) / 100
    px = {name: int(unit * factor) for name, factor in
          {"title": 2.6, "value": 6.5, "big": 11.0, "detail": 2.4, "button": 3.2, "small": 2.0,
           "banner": 3.0, "nav": 3.0}.items()}
    return f"""
    QWidget {{ background: #101418; color: #e8e8e8; font-family: "DejaVu Sans"; }}
    QLabel#title {{ font-size: {px['title']}px; color: #a0a8b0; }}
    QLabel#detail {{ font-size: {px['detail']}px; color: #c0c8d0; }}
    QLabel#small, QListWidget {{ font-size: {px['small']}px; }}
    QLabel#section {{ font-size: {px['title']}px; color: #a0a8b0; font-weight: bold; }}
    QLabel#banner {{ font-size: {px['banner']}px; font-weight: bold; padding: 4px; }}
    QLabel#banner[state="warn"] {{ background: #8a5a00; }}
    QLabel#banner[state="bad"] {{ background: #8a1010; }}
    QFrame#tile {{ background: #1a2026; border: 3px solid #404040; border-radius: 10px; }}
    QFrame#tile QLabel {{ background: transparent; border: none; }}
    QFrame#tile[state="ok"] {{ border-color: {STATE_COLOURS['ok']}; }}
    QFrame#tile[state="warn"] {{ border-color: {STATE_COLOURS['warn']}; }}
    QFrame#tile[state="bad"] {{ border-color: {STATE_COLOURS['bad']}; }}
    QFrame#tile[state="stale"] {{ border-color: #707070; border-style: dashed; }}
    QFrame#tile[state="stale"] QLabel#value {{ color: #808080; }}
    QFrame#tile[state="none"] QLabel#value {{ color: #606060; }}
    QPushButton {{ font-size: {px['button']}px; background: #263040; border: 2px solid #3a4a60;
                   border-radius: 8px; padding: {int(unit * 1.2)}px; }}
    QPushButton:checked {{ background: #2f6f3f; border-color: #3fb950; }}
    QPushButton:pressed {{ background: #405070; }}
    QPushButton#nav {{ font-size: {px['nav']}px; border-radius: 0; }}
    QListWidget {{ background: #141a20; border: 1px solid #303840; }}
    """


def make_label(text: str, parent: object, name: str) -> QLabel:
    """A QLabel with an object name (the stylesheet's selector)."""
    widget = QLabel(text, parent)  # type: ignore[call-overload]
    widget.setObjectName(name)
    return widget  # type: ignore[no-any-return]


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property (e.g. "state") changed."""
    style = widget.style()
    if style is not None:
        style.unpolish(widget)
        style.polish(widget)
