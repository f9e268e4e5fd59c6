"""Basecamp sensors package."""
