"""hydrawatch: find banned propaganda networks that come back."""

__version__ = "0.1.0"
