"""Basecamp watch package."""
