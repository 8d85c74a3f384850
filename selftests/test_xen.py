"""Xen and tmem: the seed Dom0 and guest pass; each mutation the issue names fails exactly its
item with words a person acts on; tmem on a kernel or Xen that dropped it is one clear failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hwcompat.errors import ParseError
from hwcompat.facts.cache import FactCache
from hwcompat.parsers import grub_default, xentop_batch
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import MODERN, REPO

SEED = REPO / "snapshots" / "x10sae-xen-dom0"
GUEST = REPO / "snapshots" / "xen-guest-tmem"
DEBIAN12 = REPO / "snapshots" / "debian12-xen-dom0"
CENTOS6 = REPO / "snapshots" / "centos6-xen44-dom0"


def results(profile: str, snapshot: Path) -> dict[str, tuple[str, str]]:
    return {item: (r.outcome, r.message) for item, r in evaluate(loader.load(profile), FactCache(SnapshotSource(snapshot)))}


def failed(res: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {k: m for k, (o, m) in res.items() if o == "failed"}


@pytest.fixture
def guest(tmp_path: Path) -> Path:
    dest = tmp_path / "guest"
    shutil.copytree(GUEST, dest, symlinks=True)
    return dest


@pytest.fixture
def dom0(tmp_path: Path) -> Path:
    dest = tmp_path / "dom0"
    shutil.copytree(SEED, dest, symlinks=True)
    return dest


def test_seed_dom0_and_guest_pass() -> None:
    assert failed(results("hosts/x10sae-xen-dom0", SEED)) == {}
    guest = results("hosts/xen-guest-tmem", GUEST)
    assert failed(guest) == {}
    assert {k for k in guest if k.startswith("test_tmem_")} >= {"test_tmem_config[CONFIG_ZSWAP]", "test_tmem_swap[swap]"}


def test_debian12_dom0_passes_plain_role_and_fails_tmem_role_once() -> None:
    assert failed(results("roles/xen-dom0", DEBIAN12)) == {}
    res = results("roles/xen-dom0-tmem", DEBIAN12)
    assert failed(res) == {"test_tmem_supported[dom0]": "tmem cannot work here: the hypervisor is Xen 4.17.3 (/sys/hypervisor/version): "
                                                     "tmem was removed from it in Xen 4.13"}
    assert res["test_tmem_activity[guests]"][0] == "skipped"


def test_tmem_dropped_from_running_xen_but_kept_in_grub(dom0: Path) -> None:
    info = dom0 / "cmd/xl_info"
    info.write_text(info.read_text().replace("max:10240M tmem", "max:10240M"))
    assert failed(results("hosts/x10sae-xen-dom0", dom0)) == {
        "test_tmem_xen_cmdline[tmem]": "configured but not active: reboot pending (run update-grub and reboot)"}


def test_tmem_on_running_xen_but_not_in_grub(dom0: Path) -> None:
    grub = dom0 / "fs/etc/default/grub"
    grub.write_text(grub.read_text().replace("$GRUB_CMDLINE_XEN_DEFAULT tmem", "$GRUB_CMDLINE_XEN_DEFAULT"))
    msg = failed(results("hosts/x10sae-xen-dom0", dom0))
    assert list(msg) == ["test_tmem_xen_cmdline[tmem]"]
    assert msg["test_tmem_xen_cmdline[tmem]"].startswith("active now, lost at next boot: add tmem to GRUB_CMDLINE_XEN")


def test_grub_value_that_cannot_be_known(dom0: Path) -> None:
    grub = dom0 / "fs/etc/default/grub"
    grub.write_text(grub.read_text() + 'GRUB_CMDLINE_XEN_DEFAULT="$(cat /etc/xen-opts)"\n')
    msg = failed(results("hosts/x10sae-xen-dom0", dom0))
    assert set(msg) == {"test_tmem_xen_cmdline[tmem]", "test_xen_cmdline[dom0_mem]"}
    assert msg["test_tmem_xen_cmdline[tmem]"] == (
        "cannot check: correct now, but the next boot cannot be checked: "
        "GRUB_CMDLINE_XEN_DEFAULT cannot be known: uses command substitution (/etc/default/grub:15)")


@pytest.mark.parametrize(("mutate", "item", "words"), [
    (lambda g: (g / "fs/proc/swaps").write_text("Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n"),
     "test_tmem_swap[swap]", "no swap area is active: without swap, frontswap has nothing to take"),
    (lambda g: (g / "fs/boot/config-3.13.10-tmem").write_text(
        (g / "fs/boot/config-3.13.10-tmem").read_text().replace("# CONFIG_ZSWAP is not set", "CONFIG_ZSWAP=y")),
     "test_tmem_config[CONFIG_ZSWAP]", "CONFIG_ZSWAP is y, needs n: zswap would take frontswap's pages"),
    (lambda g: ((g / "fs/proc/modules").write_text(
        "".join(line + "\n" for line in (g / "fs/proc/modules").read_text().splitlines() if not line.startswith("tmem "))),
                shutil.rmtree(g / "fs/sys/module/tmem")),
     "test_tmem_module[tmem]", "listed in /etc/modules:4 but not loaded: run `modprobe tmem`"),
    (lambda g: (g / "fs/etc/modules").write_text("loop\n"),
     "test_tmem_module[tmem]", "loaded now, not loaded at next boot: add tmem to /etc/modules"),
    (lambda g: (g / "fs/sys/module/tmem/parameters/frontswap").write_text("N\n"),
     "test_tmem_param[frontswap]", "expected Y, found N"),
    (lambda g: (g / "fs/sys/devices/system/xen_memory/xen_memory0/selfballoon/selfballooning").write_text("0\n"),
     "test_tmem_selfballooning[selfballooning]", "self-ballooning is off (0)"),
    (lambda g: (g / "fs/etc/default/grub").write_text('GRUB_CMDLINE_LINUX=""\n'),
     "test_kernel_cmdline[tmem]", "active now, lost at next boot: add tmem to GRUB_CMDLINE_LINUX"),
])
def test_guest_mutation_fails_exactly_its_item(guest: Path, mutate, item: str, words: str) -> None:
    mutate(guest)
    msg = failed(results("hosts/xen-guest-tmem", guest))
    assert list(msg) == [item]
    assert words in msg[item]


def test_linux_6_1_guest_under_the_tmem_role_is_one_clear_item(guest: Path) -> None:
    (guest / "fs/proc/sys/kernel/osrelease").write_text("6.1.0-18-amd64\n")
    (guest / "fs/proc/swaps").write_text("Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n")
    res = results("roles/xen-guest-tmem", guest)
    assert failed(res) == {"test_tmem_supported[guest]": "tmem cannot work here: this guest's kernel is Linux 6.1 (6.1.0-18-amd64 in "
                                                      "/proc/sys/kernel/osrelease): its tmem driver was removed in Linux 5.3 "
                                                      "(with self-ballooning; cleancache followed in 5.17, frontswap in 6.6)"}
    tmem_items = [k for k in res if k.startswith("test_tmem_") and k != "test_tmem_supported[guest]"]
    assert len(tmem_items) == 12 and all(res[k] == ("skipped", res[k][1]) and "see test_tmem_supported" in res[k][1] for k in tmem_items)


def test_linux_6_1_guest_on_xen_4_17_hears_every_reason_its_own_first(guest: Path) -> None:
    (guest / "fs/proc/sys/kernel/osrelease").write_text("6.1.0-18-amd64\n")
    (guest / "fs/sys/hypervisor/version/minor").write_text("17\n")
    (guest / "fs/sys/hypervisor/version/extra").write_text(".3\n")
    message = failed(results("roles/xen-guest-tmem", guest))["test_tmem_supported[guest]"]
    assert message.startswith("tmem cannot work here, for 2 reasons: (1) this guest's kernel is Linux 6.1 (6.1.0-18-amd64 in "
                              "/proc/sys/kernel/osrelease): its tmem driver was removed in Linux 5.3")
    assert message.endswith("; (2) the hypervisor is Xen 4.17.3 (/sys/hypervisor/version): tmem was removed from it in Xen 4.13")


def test_guest_whose_xen_version_cannot_be_read_is_not_told_tmem_works(guest: Path) -> None:
    (guest / "fs/sys/hypervisor/version/minor").unlink()
    res = results("roles/xen-guest-tmem", guest)
    assert failed(res)["test_tmem_supported[guest]"] == "cannot check: /sys/hypervisor/version/minor does not exist"
    assert res["test_tmem_swap[swap]"] == ("skipped", "cannot tell whether tmem can work here (see test_tmem_supported[guest])")


def test_not_under_xen_fails_the_role_and_says_how(tmp_path: Path) -> None:
    snap = tmp_path / "bare"
    shutil.copytree(MODERN, snap, symlinks=True)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["recorded"] += ["/sys/hypervisor", "/proc/xen"]
    (snap / "manifest.json").write_text(json.dumps(manifest))
    msg = failed(results("roles/xen-dom0-tmem", snap))
    assert msg["test_xen_property[role]"] == ("not running under Xen, expected 'dom0' "
                                            "(/sys/hypervisor/type does not exist and /proc/xen/capabilities does not exist)")
    assert msg["test_tmem_supported[dom0]"].startswith("tmem cannot work here: the tmem dom0 role needs a Xen Dom0: not running under Xen")


def test_tmem_appended_only_inside_if_cannot_be_known(dom0: Path) -> None:
    grub = dom0 / "fs/etc/default/grub"
    grub.write_text(grub.read_text().replace('GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"\n', ""))
    (dom0 / "fs/etc/default/grub.d").mkdir()
    (dom0 / "fs/etc/default/grub.d/xen.cfg").write_text(
        'if [ "$XEN_OVERRIDE_GRUB_DEFAULT" = "" ]; then\n\tGRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"\nfi\n')
    msg = failed(results("hosts/x10sae-xen-dom0", dom0))
    assert msg["test_tmem_xen_cmdline[tmem]"] == (
        "cannot check: correct now, but the next boot cannot be checked: GRUB_CMDLINE_XEN_DEFAULT cannot be known: assigned inside "
        "`if` ... `fi` (from line 1), which only running the shell decides (/etc/default/grub.d/xen.cfg:2)")


def test_centos6_grub_legacy_dom0_passes_its_host_profile() -> None:
    res = results("hosts/centos6-xen44-dom0", CENTOS6)
    assert failed(res) == {}
    assert {k for k, (o, _) in res.items() if o == "passed"} >= {
        "test_xen_cmdline[dom0_mem]", "test_xen_cmdline[tmem]", "test_kernel_cmdline[root]", "test_xen_property[guest_memory_overcommit]"}
    item = evaluate(loader.load("hosts/centos6-xen44-dom0"), FactCache(SnapshotSource(CENTOS6)))
    found = {name: r.found for name, r in item}
    assert "the kernel line of the default entry (/boot/grub/grub.conf:8, default=0 (line 2)" in found["test_xen_cmdline[tmem]"]
    assert "the module line of the default entry (/boot/grub/grub.conf:9" in found["test_kernel_cmdline[rhgb]"]


@pytest.fixture
def centos6(tmp_path: Path) -> Path:
    dest = tmp_path / "centos6"
    shutil.copytree(CENTOS6, dest, symlinks=True)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def test_centos6_tmem_only_in_a_non_default_entry_fails_exactly_that_item(centos6: Path) -> None:
    conf = centos6 / "fs/boot/grub/grub.conf"
    _edit(conf, "guest_loglvl=all tmem\n", "guest_loglvl=all\n")
    xen_entry = conf.read_text().split("title ")[1]  # the default entry, now without tmem: a copy of it with tmem goes last
    assert xen_entry.count("guest_loglvl=all\n") == 1
    conf.write_text(conf.read_text() + "title " + xen_entry.replace("guest_loglvl=all\n", "guest_loglvl=all tmem\n"))
    msg = failed(results("hosts/centos6-xen44-dom0", centos6))
    assert list(msg) == ["test_xen_cmdline[tmem]"]
    assert msg["test_xen_cmdline[tmem]"].startswith("active now, lost at next boot: add tmem to the kernel line of the default "
                                                    "entry (/boot/grub/grub.conf:8, default=0 (line 2)")


def test_centos6_dom0_mem_differing_between_running_and_grub_conf_fails_exactly_that_item(centos6: Path) -> None:
    _edit(centos6 / "fs/boot/grub/grub.conf", "dom0_mem=1024M,max:1024M", "dom0_mem=2048M,max:2048M")
    msg = failed(results("hosts/centos6-xen44-dom0", centos6))
    assert list(msg) == ["test_xen_cmdline[dom0_mem]"]
    assert msg["test_xen_cmdline[dom0_mem]"].startswith("active now, lost at next boot: add dom0_mem=1024M,max:1024M to the kernel line")
    _edit(centos6 / "fs/boot/grub/grub.conf", "dom0_mem=2048M,max:2048M", "dom0_mem=1024M,max:1024M")
    _edit(centos6 / "cmd/xl_info", "dom0_mem=1024M,max:1024M", "dom0_mem=2048M,max:2048M")
    assert failed(results("hosts/centos6-xen44-dom0", centos6)) == {
        "test_xen_cmdline[dom0_mem]": "configured but not active: reboot pending (reboot)"}


def test_centos6_default_entry_without_xen_fails_the_hypervisor_items(centos6: Path) -> None:
    _edit(centos6 / "fs/boot/grub/grub.conf", "default=0", "default=1")
    msg = failed(results("hosts/centos6-xen44-dom0", centos6))
    assert set(msg) == {"test_xen_cmdline[dom0_mem]", "test_xen_cmdline[tmem]"}
    assert msg["test_xen_cmdline[tmem]"] == (
        "set now, and the next boot does not start Xen: the default entry of /boot/grub/grub.conf (default=1 (line 2): "
        "title 'CentOS (2.6.32-573.18.1.el6.x86_64)' (line 11)): it boots /vmlinuz-2.6.32-573.18.1.el6.x86_64 without Xen")


def test_centos6_menu_lst_that_is_not_grub_conf_must_agree_with_it(centos6: Path) -> None:
    menu = centos6 / "fs/boot/grub/menu.lst"
    text = (centos6 / "fs/boot/grub/grub.conf").read_text()
    menu.unlink()
    menu.write_text(text.replace(" tmem\n", "\n"))
    msg = failed(results("hosts/centos6-xen44-dom0", centos6))
    assert list(msg) == ["test_xen_cmdline[tmem]"]
    assert msg["test_xen_cmdline[tmem]"].startswith(
        "cannot check: correct now, but the next boot cannot be checked: the boot loader configurations disagree, and which one "
        "this machine boots from cannot be told: the kernel line of the default entry (/boot/grub/grub.conf:8")


def test_centos6_grub_conf_unreadable_as_non_root(centos6: Path) -> None:
    manifest = json.loads((centos6 / "manifest.json").read_text())
    manifest["recorded"].remove("/boot/grub/grub.conf")
    (centos6 / "manifest.json").write_text(json.dumps(manifest))
    (centos6 / "fs/boot/grub/grub.conf").unlink()
    msg = failed(results("hosts/centos6-xen44-dom0", centos6))
    assert set(msg) == {"test_xen_cmdline[dom0_mem]", "test_xen_cmdline[tmem]", "test_kernel_cmdline[root]",
                        "test_kernel_cmdline[rhgb]", "test_kernel_cmdline[single]"}
    assert all("/boot/grub/grub.conf is not recorded in snapshot" in m for m in msg.values())


def test_xl_without_root_says_needs_root(dom0: Path) -> None:
    manifest = json.loads((dom0 / "manifest.json").read_text())
    for cmd in manifest["commands"]:
        cmd.update(stdout=None, exit=1, stderr="xc: error: Could not obtain handle on privileged command interface (13 = Permission denied)")
    (dom0 / "manifest.json").write_text(json.dumps(manifest))
    msg = failed(results("hosts/x10sae-xen-dom0", dom0))
    assert msg["test_xen_property[dom0_memory_mb]"].startswith("cannot check: `xl list` failed with exit 1 (needs root)")
    assert msg["test_tmem_activity[guests]"].startswith("cannot check: `xl tmem-list -a` failed with exit 1 (needs root)")
    assert "test_xen_property[role]" not in msg  # read from /sys and /proc, which need no root


def test_xl_not_installed_is_cannot_check(dom0: Path) -> None:
    manifest = json.loads((dom0 / "manifest.json").read_text())
    for cmd in manifest["commands"]:
        cmd.update(stdout=None, exit=127, stderr="xl: not installed")
    (dom0 / "manifest.json").write_text(json.dumps(manifest))
    assert failed(results("hosts/x10sae-xen-dom0", dom0))["test_xen_property[dom0_memory_mb]"] == \
        "cannot check: xl is not installed"


def test_overcommit_arithmetic_is_shown() -> None:
    res = results("hosts/x10sae-xen-dom0", SEED)
    outcome, message = res["test_xen_property[guest_memory_overcommit]"]
    assert outcome == "passed"
    assert "guests' maximum memory 7848 MB (guest1 2049, guest2 2049, guest3 2049, guest4 1701) vs 6108 MB left after Dom0 (16261 MB - 10153 MB)" in message


def test_grub_evaluation_across_files() -> None:
    first = grub_default.parse('GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G"\n')
    second = grub_default.parse('GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT tmem"\nX="$UNSET_THING"\n')
    values = grub_default.evaluate([("/etc/default/grub", a) for a in first] + [("/etc/default/grub.d/xen.cfg", a) for a in second])
    assert values["GRUB_CMDLINE_XEN_DEFAULT"].value == "dom0_mem=1G tmem"
    assert values["GRUB_CMDLINE_XEN_DEFAULT"].where == "/etc/default/grub.d/xen.cfg:1"
    assert values["X"].value is None and "UNSET_THING" in values["X"].reason


def test_unreadable_grub_d_makes_the_next_boot_unknown(dom0: Path) -> None:
    manifest = json.loads((dom0 / "manifest.json").read_text())
    manifest["recorded"].remove("/etc/default/grub.d")
    (dom0 / "manifest.json").write_text(json.dumps(manifest))
    msg = failed(results("hosts/x10sae-xen-dom0", dom0))
    assert msg["test_tmem_xen_cmdline[tmem]"].startswith(
        "cannot check: correct now, but the next boot cannot be checked: the entries of /etc/default/grub.d are not recorded")


XENTOP_412 = (REPO / "selftests/data/corpus/xentop/ubuntuforums--xm-top-xen-4.1.2-precise.txt").read_text()


def _columns(line: str) -> list[str]:
    return line.replace("no limit", "no_limit").split()


def test_xentop_columns_are_read_by_their_header_names_in_any_order() -> None:
    lines = [line for line in XENTOP_412.splitlines() if line.strip()][3:]  # the header and the published rows
    header, rows = _columns(lines[0]), [_columns(line) for line in lines[1:]]
    keep = [c for c in reversed(range(len(header))) if header[c] not in ("VBD_RSECT", "VBD_WSECT", "NETTX(k)")]
    shuffled = "\n".join(" ".join(cells[c] for c in keep).replace("no_limit", "no limit") for cells in [header, *rows]) + "\n"
    assert xentop_batch.parse(shuffled) == xentop_batch.parse(XENTOP_412)
    assert [d.name for d in xentop_batch.parse(shuffled)] == ["Domain-0", "virtual1"]


@pytest.mark.parametrize(("text", "line_no", "reason"), [
    (XENTOP_412.replace(" MAXMEM(k)", ""), 4, "a header without MAXMEM(k)"),
    (XENTOP_412.replace("3374788    7781018", "3374788"), 6, "fewer values than the 19 columns of the header"),
    (XENTOP_412.replace("  181258  3374788", " 181258 x 3374788"), 6, "'x' does not fit column VBD_RD"),
    (XENTOP_412.replace("  181258  3374788", " 181258 7 3374788"), 6, "'93.8' does not fit column MAXMEM(k)"),  # a number too many shifts every column
])
def test_xentop_row_that_does_not_fit_its_header_is_refused_with_the_line(text: str, line_no: int, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        xentop_batch.parse(text)
    assert (info.value.line_no, info.value.reason) == (line_no, reason)


def test_a_domain_named_like_a_sub_line_is_still_a_row() -> None:
    """xentop's per-domain lines start with Net, VBD, VCPUs or Tmem:; a domain called NetBSD is not one of them."""
    renamed = XENTOP_412.replace("virtual1", "NetBSD")
    assert [d.name for d in xentop_batch.parse(renamed)] == ["Domain-0", "NetBSD"]


def test_tmem_activity_on_a_dom0_without_guests_cannot_be_known_yet_and_fails_only_with_idle_guests(dom0: Path) -> None:
    """A Dom0 just installed, no guest started: 'no guest puts pages' failed it (NOT COMPATIBLE), though nothing could have."""
    tmem_list, xl_list = dom0 / "cmd" / "xl_tmem-list_-a", dom0 / "cmd" / "xl_list"
    tmem_list.write_text("".join(line for line in tmem_list.read_text().splitlines(keepends=True) if line.startswith("G=")))
    idle = results("hosts/x10sae-xen-dom0", dom0)["test_tmem_activity[guests]"]
    assert idle == ("failed", "no guest puts pages into tmem (no tmem clients): check each guest's tmem module and swap")
    listing = xl_list.read_text().splitlines(keepends=True)
    xl_list.write_text("".join(listing[:2]))  # the header and Domain-0
    fresh = results("hosts/x10sae-xen-dom0", dom0)["test_tmem_activity[guests]"]
    assert fresh[0] == "failed" and fresh[1].startswith("cannot check: no guest is running (xl list shows Domain-0 only)"), fresh
    # the whole run on the seed's host profile: only what needs running guests is open, nothing is failed outright
    assert failed(results("hosts/x10sae-xen-dom0", dom0)) == {
        "test_tmem_activity[guests]": fresh[1],
        "test_xen_property[guest_memory_overcommit]": "cannot check: no guest is running (xl list shows Domain-0 only), so the guests' "
        "memory overcommit cannot be judged yet (guests' maximum memory 0 MB (no guests) vs 6108 MB left after Dom0 (16261 MB - "
        "10153 MB)); start the guests and check again"}
    xl_list.write_text(listing[0])  # the header alone: a broken listing, not a machine without guests
    broken = results("hosts/x10sae-xen-dom0", dom0)["test_tmem_activity[guests]"]
    assert broken[1].endswith("whether any guest runs is unknown: xl list shows no Domain-0, which it always lists: its output looks broken")
    manifest = json.loads((dom0 / "manifest.json").read_text())
    [listing] = [c for c in manifest["commands"] if c.get("stdout") == "cmd/xl_list"]
    listing.update(stdout=None, exit=1, stderr="xc: error: Could not obtain handle on privileged command interface (13 = Permission denied)")
    (dom0 / "manifest.json").write_text(json.dumps(manifest))
    xl_list.unlink()
    unknown = results("hosts/x10sae-xen-dom0", dom0)["test_tmem_activity[guests]"]
    assert unknown[0] == "failed" and unknown[1].startswith("cannot check: no guest puts pages into tmem (no tmem clients), and whether any guest"), unknown
