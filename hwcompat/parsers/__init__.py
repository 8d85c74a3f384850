"""Parsers: pure functions from a file's or command's text to records, or ParseError.

:data:`hwcompat.parsers.registry.PARSERS` names every parser; each must have recorded pairs in
selftests/data/parsers/.
"""
