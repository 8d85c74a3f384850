"""Parser for an OpenVPN configuration file (``/etc/openvpn/*.conf``, ``client/*.conf``).

Input: one directive a line, arguments after it; ``#`` and ``;`` start comments; inline files
sit between ``<ca>`` and ``</ca>`` (skipped)::

    client
    dev tun-hma
    #route-metric 1
    route-noexec
    auth-user-pass /etc/openvpn/hma.pass

Records (:class:`OvpnDirective`)::

    name: str            # "auth-user-pass" (a leading "--" is dropped)
    args: tuple[str, ...]
    line_no: int

Raises ParseError for an inline block that is never closed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from hwcompat.errors import ParseError

NAME = "openvpn_conf"


@dataclass(frozen=True, slots=True)
class OvpnDirective:
    """One configuration directive."""

    name: str
    args: tuple[str, ...]
    line_no: int


def parse(text: str) -> list[OvpnDirective]:
    """Parse an OpenVPN config."""
    out = []
    block: tuple[str, int] | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if block:
            if stripped == f"</{block[0]}>":
                block = None
            continue
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("<") and stripped.endswith(">") and not stripped.startswith("</"):
            block = (stripped[1:-1], line_no)
            continue
        try:
            words = shlex.split(stripped, comments=True)
        except ValueError:
            words = stripped.split()
        if words:
            out.append(OvpnDirective(words[0].removeprefix("--"), tuple(words[1:]), line_no))
    if block:
        raise ParseError(NAME, block[1], f"<{block[0]}>", "inline block is never closed")
    return out
