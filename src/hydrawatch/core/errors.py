"""Errors hydrawatch raises on purpose. Each message says what went wrong and how to fix it."""

from __future__ import annotations


class HydrawatchError(Exception):
    """Base class for every error hydrawatch raises deliberately."""


class UnknownFormatError(HydrawatchError):
    """A file is not in any input format hydrawatch understands."""


class BadRecordError(HydrawatchError):
    """One record of an otherwise readable file is malformed. Sources catch this per record,
    report it with file and line, and go on with the next record."""


class SchemaVersionError(HydrawatchError):
    """The store was written by a different schema version."""


class StoreError(HydrawatchError):
    """The store cannot be opened or written."""


class ConfigError(HydrawatchError):
    """A configuration value is invalid."""
