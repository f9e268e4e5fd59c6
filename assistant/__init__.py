"""Basecamp assistant package."""
