"""Benchmarks, measured as users run hwcompat: a runtime-only venv, bytecode caching on.

    ./dev bench [--runs N]      the seed run with --html against the one-test pytest --html floor:
                                paired runs, the median ratio, and where the seed run's time goes
    ./dev bench --scale         1,000 PCI devices; 100k and 1M IPv4 routes; time and peak memory,
                                and whether each grows linearly with its size
    ./dev bench --fleet N       N snapshots judged by `hwcompat fleet` on every core
    ./dev bench --capture       `hwcompat capture` of this machine against `lshw -json` (paired runs)

The runtime venv (.bench-venv: requirements.lock's pins of what hwcompat itself needs and
`pip install .` of this tree, no dev tools) is made on first use and hwcompat reinstalled whenever
the tree changed; commands run from a scratch directory, so the installed copy is what runs.
Every command runs with PYTHONDONTWRITEBYTECODE cleared, so both sides of a ratio load cached
bytecode as an installed tool does. Ratios are of CPU time (user + system);
wall time is printed beside them. These are benchmarks: they print numbers, and exit 1 only when
a measured growth is super-linear or a goal (GOALS below) is missed (the numbers say which).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "snapshots" / "x10sae-xen-dom0"
GATEWAY = ROOT / "snapshots" / "vpn-gateway"
VENV = ROOT / ".bench-venv"
#: what hwcompat needs at run time (pyproject's dependencies and theirs), pinned by requirements.lock
GOALS = {"ratio": 1.3, "devices_s": 3.0, "devices_mib": 100, "html_mb": 3.0, "routes_100k_s": 1.0, "routes_1m_s": 10.0,
         "routes_1m_mib": 600, "fleet_1000_s": 60.0, "capture_ratio": 2.0}


def _tree_digest() -> str:
    """What `pip install .` copies: the package, the suite and profiles it carries, and the pins."""
    digest = hashlib.sha256()
    paths = [ROOT / name for name in ("pyproject.toml", "requirements.lock", "conftest.py", "pytest.ini")]
    for folder in ("hwcompat", "profiles", "tests_hw", "tests_xen", "tests_net"):
        paths += sorted(p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def runtime_python() -> Path:
    """The runtime-only venv's python, with this tree installed (made on first use, hwcompat reinstalled when the tree changed)."""
    py = VENV / "bin" / "python"
    stamp = VENV / ".stamp"
    pins = (ROOT / "requirements.lock").read_text()
    if not py.exists() or not (VENV / ".pins").exists() or (VENV / ".pins").read_text() != pins:
        print("bench: making the runtime-only venv .bench-venv (first run only)...", file=sys.stderr)
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(ROOT / "requirements.lock"),
                        str(ROOT)], check=True)
        (VENV / ".pins").write_text(pins)
        stamp.write_text(_tree_digest())
    digest = _tree_digest()
    if stamp.read_text() != digest if stamp.exists() else True:
        print("bench: installing this tree into .bench-venv...", file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--force-reinstall",
                        str(ROOT)], check=True, stdout=subprocess.DEVNULL)
        stamp.write_text(digest)
    return py


def hwcompat_cmd(py: Path) -> str:
    """The installed console script (run from a scratch directory, it cannot pick up the source tree)."""
    return str(py.parent / "hwcompat")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass(frozen=True)
class Run:
    """One command's wall and CPU seconds, peak resident MiB (its own, from wait4) and stderr."""

    wall: float
    cpu: float
    peak: float
    stderr: str


def measure(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Run:
    """Run one command and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=_env(), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in ok:
        sys.exit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{stdout[-2000:]}{stderr[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stderr)


# --- the seed run against the floor -------------------------------------------------------------

PHASES = '''
import json, sys, time
T0 = time.perf_counter()
import pytest
T1 = time.perf_counter()
import dataclasses
BUILT = [0, 0.0]  # the dataclasses hwcompat's import builds, and the seconds @dataclass spends generating their methods
_process_class = dataclasses._process_class
def _timed(cls, *args, **kwargs):
    start = time.perf_counter()
    try:
        return _process_class(cls, *args, **kwargs)
    finally:
        if cls.__module__.startswith("hwcompat"):
            BUILT[0] += 1
            BUILT[1] += time.perf_counter() - start
dataclasses._process_class = _timed
import hwcompat.cli, hwcompat.pytest_plugin, hwcompat.report, hwcompat.facts.cache, hwcompat.plan
T2 = time.perf_counter()
dataclasses._process_class = _process_class
marks = [("import pytest", T0, T1), ("import hwcompat", T1, T2)]
class Phases:
    def __init__(self): self.t = {}
    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config): self.t["configure"] = time.perf_counter()
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session): self.t["sessionstart"] = time.perf_counter()
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session): self.t["collected"] = time.perf_counter(); self.t["items"] = len(session.items)
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        self.t["loop"] = time.perf_counter()
        try:
            return (yield)
        finally:
            self.t["loop_end"] = time.perf_counter()
    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config): self.t["end"] = time.perf_counter()
p = Phases()
argv = sys.argv[1:]
T3 = time.perf_counter()
orig = pytest.main
def main(args, plugins=None):
    return orig(args, plugins=[p] + list(plugins or []))
pytest.main = main  # hwcompat run calls pytest.main: the same run, with the phase marks added
code = hwcompat.cli.main(argv)
T4 = time.perf_counter()
t = p.t
rows = marks + [("start-up to configure (plugin autoload, options)", T3, t["configure"]),
                ("configure", t["configure"], t["sessionstart"]),
                ("collection", t["sessionstart"], t["collected"]),
                (f"{t['items']} items (facts, checks, reports per item)", t["loop"], t["loop_end"]),
                ("session end, HTML and terminal summary", t["loop_end"], t["end"])]
sys.stderr.write("PHASES " + json.dumps({"rows": [(n, round((b - a) * 1000)) for n, a, b in rows], "items": t["items"],
                                         "dataclasses": BUILT[0], "dataclass_ms": round(BUILT[1] * 1000)}) + "\\n")
sys.exit(code)
'''


ONE_ITEM = """
from hwcompat.facts.cache import FactCache
from hwcompat.plan import evaluate
from hwcompat.profile import loader
from hwcompat.pytest_plugin import route_queries
from hwcompat.sources.snapshot import SnapshotSource


def test_all():
    facts = FactCache(SnapshotSource({snapshot!r}))
    profile = loader.load({profile!r})
    facts.route_queries = route_queries(profile)
    assert all(r.outcome in ("passed", "skipped") for _, r in evaluate(profile, facts))
"""


def seed(py: Path, runs: int) -> bool:
    """Paired runs of the floor and the seed run; the median ratio (CPU time) and the seed run's phases."""
    hw = hwcompat_cmd(py)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "test_one.py").write_text("def test_one():\n    assert True\n")
        floor = [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--html", str(t / "a.html"), "--self-contained-html", "test_one.py"]
        run = [hw, "run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(SEED), "--html", str(t / "b.html")]
        measure(floor, t)
        measure(run, t, (0, 1))  # warm the bytecode caches and the page cache
        pairs = [(measure(floor, t), measure(run, t, (0, 1))) for _ in range(runs)]
        ratio = statistics.median(b.cpu / a.cpu for a, b in pairs)
        wall_ratio = statistics.median(b.wall / a.wall for a, b in pairs)
        (t / "phases.py").write_text(PHASES)
        phases, built = [], []
        for _ in range(3):
            err = measure([str(py), str(t / "phases.py"), "run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(SEED),
                           "--html", str(t / "c.html")], t, (0, 1)).stderr
            got = json.loads(err.rsplit("PHASES ", 1)[1])
            phases.append(dict(got["rows"]))
            built.append(got["dataclass_ms"])
        # pytest's own per-item cost: as many trivial items as the seed run has, with --html, against the floor
        (t / "test_many.py").write_text(f"import pytest\n\n\n@pytest.mark.parametrize('i', range({got['items']}))\n"
                                        "def test_many(i):\n    assert True\n")
        many = [*floor[:-1], "test_many.py"]
        many[many.index(str(t / "a.html"))] = str(t / "m.html")
        trivial = statistics.median(measure(many, t).cpu / measure(floor, t).cpu for _ in range(5))
        # hwcompat's fixed cost: the whole judgement (import, snapshot, profile, every check) in one trivial item
        (t / "test_all.py").write_text(ONE_ITEM.format(profile=str(ROOT / "profiles" / "hosts" / "x10sae-xen-dom0.yaml"), snapshot=str(SEED)))
        one = [*floor[:-1], "test_all.py"]
        one[one.index(str(t / "a.html"))] = str(t / "o.html")
        lone = statistics.median(measure(one, t).cpu / measure(floor, t).cpu for _ in range(5))
    cpu = [statistics.median(r.cpu for r in side) for side in zip(*pairs, strict=True)]
    wall = [statistics.median(r.wall for r in side) for side in zip(*pairs, strict=True)]
    print(f"seed run --html: {cpu[1]:.3f} s CPU ({wall[1]:.3f} s wall)   one-test pytest --html floor: {cpu[0]:.3f} s CPU "
          f"({wall[0]:.3f} s wall)")
    print(f"ratio {ratio:.2f} CPU, {wall_ratio:.2f} wall (median of {runs} pairs; goal <= {GOALS['ratio']})")
    print("where the seed run's time goes (ms wall, median of 3):")
    for name in phases[0]:
        print(f"  {statistics.median(p[name] for p in phases):6.0f}  {name}")
    print(f"  (importing hwcompat builds {got['dataclasses']} dataclasses (nearly all frozen): {statistics.median(built):.0f} ms "
          f"of @dataclass generating their methods)")
    print("two lower bounds, each against the floor (CPU, median of 5 pairs):")
    print(f"  {trivial:.2f}x  pytest and pytest-html alone: {got['items']} trivial items, one per profile key as hwcompat runs them")
    print(f"  {lone:.2f}x  hwcompat alone: the whole judgement (import, snapshot, profile, every check) inside one trivial item")
    return ratio <= GOALS["ratio"]


# --- scale ---------------------------------------------------------------------------------------


def big_snapshot(out: Path, devices: int) -> tuple[Path, Path]:
    """The seed snapshot with ``devices`` more PCI functions, and a profile naming every one by its path.

    The functions are SR-IOV-like virtual functions behind root ports: what a 1,000-device server
    looks like to hwcompat. Returns the snapshot directory and the profile file (which extends the seed host profile).
    """
    snap = out / f"seed-{devices}-devices"
    shutil.copytree(SEED, snap, symlinks=True)
    root = snap / "fs/sys/devices/pci0000:00"
    entries = []
    for n in range(devices):
        port, function = divmod(n, 256)
        port_slot = f"00:{4 + port // 8:02x}.{port % 8}"
        bus = 0x20 + port
        if function == 0:
            _pci_function(root / f"0000:{port_slot}", "0x8086", "0x8c10", "0x060400", "pcieport")
            (snap / "fs/sys/bus/pci/devices" / f"0000:{port_slot}").symlink_to(f"../../../devices/pci0000:00/0000:{port_slot}")
            entries.append(f'    "8086:8c10@{port_slot}": {{driver: pcieport, class: "0604"}}')
        slot = f"{bus:02x}:{function // 8:02x}.{function % 8}"
        _pci_function(root / f"0000:{port_slot}" / f"0000:{slot}", "0x8086", "0x10ed", "0x020000", "ixgbevf")
        (snap / "fs/sys/bus/pci/devices" / f"0000:{slot}").symlink_to(f"../../../devices/pci0000:00/0000:{port_slot}/0000:{slot}")
        entries.append(f'    "8086:10ed@{port_slot}/{function // 8:02x}.{function % 8}": {{title: "82599 VF {n}", driver: ixgbevf, class: "0200"}}')
    profile = out / f"big-{devices}.yaml"
    profile.write_text(f"name: big-{devices}\ndescription: the seed host with {devices} more PCI functions\n"
                       "extends: [hosts/x10sae-xen-dom0]\npci:\n  devices:\n" + "\n".join(entries) + "\n")
    return snap, profile


def _pci_function(path: Path, vendor: str, device: str, cls: str, driver: str) -> None:
    path.mkdir(parents=True)
    for name, value in (("vendor", vendor), ("device", device), ("class", cls), ("revision", "0x01"), ("subsystem_vendor", vendor),
                        ("subsystem_device", "0x000c")):
        (path / name).write_text(value + "\n")
    (path / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")


def routes_snapshot(out: Path, count: int) -> Path:
    """The VPN gateway snapshot with ``count`` more IPv4 routes in table main, as a BGP full table adds them.

    Distinct public /16-/24 prefixes via the LAN gateway (none covering the profile's path
    destinations, so the verdicts stay the gateway's own); the listing is what `ip -j route show
    table all` prints for them.
    """
    snap = out / f"gateway-{count}-routes"
    shutil.copytree(GATEWAY, snap, symlinks=True)
    listing = snap / "cmd" / "ip_-j_route_show_table_all"
    routes = json.loads(listing.read_text())
    rnd = random.Random(count)
    seen: set[tuple[int, int]] = set()
    extra = []
    while len(extra) < count:
        plen = rnd.choice((16, 18, 20, 21, 22, 23, 24, 24, 24))
        net = rnd.randrange(1 << 32) >> (32 - plen) << (32 - plen)
        if (net, plen) in seen or net >> 24 in (0, 8, 10, 127, 192) or net >> 28 >= 14:
            continue
        seen.add((net, plen))
        dst = f"{net >> 24}.{net >> 16 & 255}.{net >> 8 & 255}.{net & 255}/{plen}"
        extra.append({"dst": dst, "gateway": "192.168.1.254", "dev": "eth0", "protocol": "bgp", "metric": 20, "flags": []})
    listing.write_text(json.dumps(routes + extra) + "\n")
    return snap


def _run(py: Path, profile: str, snap: Path, html: Path | None = None) -> tuple[float, float]:
    argv = [hwcompat_cmd(py), "run", "--profile", profile, "--snapshot", str(snap)]
    argv += ["--html", str(html)] if html else ["--", "-q"]
    got = measure(argv, snap.parent, (0, 1))
    return got.wall, got.peak


def scale(py: Path) -> bool:
    """1,000 devices and 100k/1M routes against their goals; growth from n to 4n for both."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        _run(py, "hosts/x10sae-xen-dom0", SEED)  # warm caches
        print("PCI devices (seed snapshot + n SR-IOV functions, --html):")
        times = {}
        for n in (250, 1000):
            snap, profile = big_snapshot(t, n)
            wall, peak = min((_run(py, str(profile), snap, t / f"d{n}.html") for _ in range(2)), key=lambda r: r[0])
            size = (t / f"d{n}.html").stat().st_size / 1e6
            times[n] = wall
            print(f"  {n:>7} devices: {wall:6.2f} s  {peak:6.0f} MiB  HTML {size:.2f} MB")
            if n == 1000:
                ok &= wall < GOALS["devices_s"] and peak < GOALS["devices_mib"] and size < GOALS["html_mb"]
        ok &= _linear("devices", times)
        print("IPv4 routes (VPN gateway snapshot + n routes in main; its paths and no_leak items):")
        times = {}
        for n in (25_000, 100_000, 1_000_000):
            # made by a child process: a parent holding the million routes would lend its size to the measured
            # child's peak (fork copies the parent's resident pages into the child's accounting before exec)
            subprocess.run([sys.executable, __file__, "--make-routes", str(n), str(t)], check=True)
            snap = t / f"gateway-{n}-routes"
            wall, peak = min((_run(py, "hosts/vpn-gateway", snap) for _ in range(1 if n > 100_000 else 2)), key=lambda r: r[0])
            times[n] = wall
            print(f"  {n:>7} routes:  {wall:6.2f} s  {peak:6.0f} MiB")
            if n == 100_000:
                ok &= wall < GOALS["routes_100k_s"]
            if n == 1_000_000:
                ok &= wall < GOALS["routes_1m_s"] and peak < GOALS["routes_1m_mib"]
            shutil.rmtree(snap)
        ok &= _linear("routes", {25_000: times[25_000], 100_000: times[100_000]})
    return ok


def _linear(what: str, times: dict[int, float]) -> bool:
    """Whether time grows at most 1.5x faster than size between the two sizes (the fixed start-up cost included)."""
    (n1, t1), (n2, t2) = sorted(times.items())
    growth = t2 / t1
    ok = growth <= n2 / n1 * 1.5
    print(f"  growth {n1} -> {n2}: time x{growth:.2f} for size x{n2 / n1:.0f}: {'linear or better' if ok else 'SUPER-LINEAR'}")
    return ok


def fleet(py: Path, count: int) -> bool:
    """`hwcompat fleet` over count copies of the three seed snapshots (auto-selected profiles), every core."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        seeds = sorted(p for p in (ROOT / "snapshots").iterdir() if p.name in ("x10sae-xen-dom0", "xen-guest-tmem", "vpn-gateway"))
        snaps = []
        for i in range(count):
            dst = t / f"host-{i:04d}"
            shutil.copytree(seeds[i % len(seeds)], dst, symlinks=True)
            snaps.append(str(dst))
        got = measure([hwcompat_cmd(py), "fleet", *snaps, "--html", str(t / "fleet.html"), "--json", str(t / "fleet.json")], t, (0, 1))
        wall, peak = got.wall, got.peak
    goal = GOALS["fleet_1000_s"] * count / 1000
    print(f"fleet: {count} snapshots judged in {wall:.1f} s on {os.cpu_count()} cores, largest process {peak:.0f} MiB "
          f"(goal: 1,000 in < {GOALS['fleet_1000_s']:.0f} s on 2 cores)")
    return wall < goal


def capture(py: Path, runs: int) -> bool:
    """Live capture of this machine against lshw -json, paired runs, and what capture executes."""
    lshw = shutil.which("lshw")
    if lshw is None:
        print("capture: lshw is not installed (Debian: apt install lshw); nothing to compare with")
        return False
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        ours = [hwcompat_cmd(py), "capture", "--force", "--out", str(t / "draft.yaml")]
        measure(ours, t)
        pairs = [(measure([lshw, "-json"], t), measure(ours, t)) for _ in range(runs)]
    ratio = statistics.median(b.cpu / a.cpu for a, b in pairs)
    wall = statistics.median(b.wall / a.wall for a, b in pairs)
    ours_cpu, lshw_cpu = statistics.median(b.cpu for _, b in pairs), statistics.median(a.cpu for a, _ in pairs)
    print(f"capture: hwcompat capture {ours_cpu:.3f} s CPU   lshw -json {lshw_cpu:.3f} s CPU   "
          f"ratio {ratio:.2f} CPU, {wall:.2f} wall (median of {runs} pairs; goal <= {GOALS['capture_ratio']})")
    return ratio <= GOALS["capture_ratio"]


def main() -> int:
    """Make the runtime venv, run the chosen benchmark, print its numbers."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9, help="paired runs of the seed benchmark (default 9)")
    ap.add_argument("--scale", action="store_true", help="PCI devices and routing tables instead")
    ap.add_argument("--fleet", type=int, metavar="N", help="judge N snapshots with hwcompat fleet instead")
    ap.add_argument("--capture", action="store_true", help="live capture against lshw -json instead")
    ap.add_argument("--make-routes", nargs=2, metavar=("N", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_routes:
        routes_snapshot(Path(args.make_routes[1]), int(args.make_routes[0]))
        return 0
    py = runtime_python()
    print(f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}, Python {sys.version.split()[0]}; runtime venv {VENV.name}")
    if args.scale:
        ok = scale(py)
    elif args.fleet:
        ok = fleet(py, args.fleet)
    elif args.capture:
        ok = capture(py, args.runs)
    else:
        ok = seed(py, args.runs)
    print("bench: every goal met" if ok else "bench: a goal is missed (see the numbers above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
