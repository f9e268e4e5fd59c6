"""Basecamp dialogs package."""
