"""Registers the hwcompat plugin for runs from the repository root."""

pytest_plugins = ["hwcompat.pytest_plugin"]
