"""ssh's ProxyCommand for the fleet test: joins stdin/stdout to a TCP port (run inside a namespace with ip netns exec).

Usage: python relay.py HOST PORT. Exits when either side closes.
"""

from __future__ import annotations

import os
import selectors
import socket
import sys


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as err:
        print(f"relay: cannot connect to {host}:{port}: {err.strerror or err}", file=sys.stderr)
        return 1
    sock.settimeout(None)
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "in")
    sel.register(sock, selectors.EVENT_READ, "sock")
    while True:
        for key, _ in sel.select():
            if key.data == "in":
                data = os.read(sys.stdin.fileno(), 65536)
                if not data:
                    sock.shutdown(socket.SHUT_WR)
                    sel.unregister(sys.stdin.fileno())
                    continue
                sock.sendall(data)
            else:
                data = sock.recv(65536)
                if not data:
                    return 0
                while data:
                    data = data[os.write(sys.stdout.fileno(), data):]


if __name__ == "__main__":
    sys.exit(main())
