"""snapshots/docker-host-nat: a Docker host's nat table as published, and what hwcompat needs around it.

Published (byte for byte, as the output of ``iptables-save -t nat``):
selftests/data/corpus/iptables_save/exadata-issue12--iptables-save-1.4.7-docker-nat-dup.txt, from
https://github.com/tuananh0788/Exadata/issues/12: iptables-save v1.4.7 (RHEL/Oracle Linux 6) with
Docker's ``-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE``, every rule twice, a space after each.

Filled in (snapshots/docker-host-nat/README.md says why): the legacy nat table listed in
/proc/net/ip_tables_names; a RHEL 6 kernel release (nf_tables came with Linux 3.13, so no
nftables chain can hide); iptables-legacy-save, iptables-nft-save and nft not installed (iptables
1.4.7 predates them).
"""

from __future__ import annotations

from pathlib import Path

from make_corpus_snapshots import corpus, write

NAT = "iptables_save/exadata-issue12--iptables-save-1.4.7-docker-nat-dup.txt"


def build(out: Path) -> None:
    """Write the snapshot into ``out``."""
    missing = "not installed"
    write(out, files={"/proc/net/ip_tables_names": "nat\n", "/proc/sys/kernel/osrelease": "2.6.32-754.el6.x86_64\n"},
          commands=[(["iptables-legacy-save", "-t", "nat"], None, 127, missing), (["iptables-nft-save", "-t", "nat"], None, 127, missing),
                    (["iptables-save", "-t", "nat"], corpus(NAT), 0, ""), (["nft", "-j", "list", "ruleset"], None, 127, missing)],
          recorded=["/proc/net/ip_tables_names", "/proc/sys/kernel/osrelease"], hostname="docker-host")
