"""The watch tests' helpers (a real supervisord, a reduced house) serve here too."""

from tests.watch.conftest import supervisord_factory

__all__ = ["supervisord_factory"]
