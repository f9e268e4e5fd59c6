"""Basecamp kiosk package."""
