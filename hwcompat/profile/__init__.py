"""Profiles: strict YAML data saying what a machine is expected to be."""
