"""Fixtures for the engine adapter tests (defined in engine_fakes, a uniquely named module)."""

from engine_fakes import fake_server

__all__ = ["fake_server"]
