"""Basecamp modes package."""
