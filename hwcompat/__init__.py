"""hwcompat: check a Linux machine, or a recorded snapshot of one, against a profile."""

__version__ = "0.1.0"
