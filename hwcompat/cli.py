"""The ``hwcompat`` command: run | snapshot | capture | profiles | fleet | diff | redact | collector | firstboot-unit.

Exit codes are pytest's: 0 all passed, 1 some checks failed, 2 interrupted, 3 internal error,
4 usage or profile error (the message names FILE:LINE), 5 nothing collected.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from hwcompat import __version__, suite_root
from hwcompat.errors import CannotCheck, HwcompatError, ProfileError, SnapshotError
from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.profile import loader
from hwcompat.profile.params import from_command_line as params_from
from hwcompat.sources import open_source

TEST_DIRS = ("tests_hw", "tests_xen", "tests_net")
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 3, 4


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _err(message: str) -> None:
    print(f"hwcompat: {message}", file=sys.stderr)


def _output_dir_ok(path: str) -> bool:
    """True when ``path`` can be created: its directory exists and is writable (else say so)."""
    parent = Path(path).absolute().parent
    if not parent.is_dir():
        _err(f"{path}: directory {parent} does not exist (nothing was written)")
        return False
    if not os.access(parent, os.W_OK):
        _err(f"{path}: directory {parent} is not writable (nothing was written)")
        return False
    return True


def cmd_run(args: argparse.Namespace) -> int:
    """Run the acceptance tests through pytest, in this process."""
    import pytest  # noqa: PLC0415

    root = suite_root()
    if not (root / "pytest.ini").is_file() or not all((root / d).is_dir() for d in TEST_DIRS):
        _err(f"the acceptance tests are not installed next to the hwcompat package (looked in {root}); reinstall hwcompat")
        return EXIT_INTERNAL
    argv = ["-c", str(root / "pytest.ini"), "--rootdir", str(root)]
    argv += ["--profile", args.profile] if args.profile else []
    argv += ["--snapshot", str(Path(args.snapshot).absolute())] if args.snapshot else []
    argv += ["--html", str(Path(args.html).absolute()), "--self-contained-html"] if args.html else []
    argv += ["--junitxml", str(Path(args.junitxml).absolute())] if args.junitxml else []
    argv += ["--json", str(Path(args.json).absolute())] if args.json else []
    argv += [f"--param={p}" for p in args.param]
    argv += ["--waivers", str(Path(args.waivers).absolute())] if args.waivers else []
    argv += list(args.pytest_args) + [str(root / d) for d in TEST_DIRS]
    return int(pytest.main(argv))


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Record this machine: everything the collectors read, nothing else."""
    from hwcompat.sources.live import LiveSource  # noqa: PLC0415
    from hwcompat.sources.recording import RecordingSource, write_snapshot  # noqa: PLC0415

    if not _output_dir_ok(args.out):
        return EXIT_USAGE
    rec = RecordingSource(LiveSource())
    facts = FactCache(rec)
    for domain in DOMAINS:
        try:
            facts.get(domain)
            print(f"  {domain.name:8} recorded", file=sys.stderr)
        except CannotCheck as err:
            print(f"  {domain.name:8} cannot read: {err.reason}", file=sys.stderr)
    host = rec.read_text("/proc/sys/kernel/hostname") or ""
    if args.redact:
        from hwcompat.redact import Redactor, redact_entries  # noqa: PLC0415
        from hwcompat.sources.recording import write_entries  # noqa: PLC0415

        redactor = Redactor(_key(args.key_file), all_addresses=args.all_addresses)
        out = write_entries(redact_entries(rec.entries(host.strip()), redactor), args.out)
        print(f"hwcompat: redacted: {_replaced(redactor.counts)}", file=sys.stderr)
    else:
        out = write_snapshot(rec, args.out, host.strip())
    print(f"hwcompat: wrote {out} ({len(rec.files)} files, {len(rec.links)} links, {len(rec.commands)} commands)", file=sys.stderr)
    return EXIT_OK


def _key(path: str | None) -> bytes:
    from hwcompat.redact import load_key  # noqa: PLC0415

    try:
        return load_key(path)
    except (OSError, ValueError) as err:
        raise SnapshotError(path or "--key-file", str(err)) from None


def _replaced(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing"


def cmd_firstboot_unit(args: argparse.Namespace) -> int:
    """Print the systemd unit that runs the acceptance profile once at first boot, for this installation of hwcompat."""
    import re  # noqa: PLC0415
    import shutil  # noqa: PLC0415

    if not re.fullmatch(r"[A-Za-z0-9 ._/=:@+,-]*", args.args):
        _err(f"--args {args.args!r}: only letters, digits, spaces and ._/=:@+,- (systemd would expand or split the rest)")
        return EXIT_USAGE
    script = Path(sys.executable).with_name("hwcompat")  # the console script of this installation
    here = str(script) if script.is_file() else shutil.which("hwcompat") or f"{sys.executable} -m hwcompat.cli"
    unit = (Path(__file__).parent / "firstboot" / "hwcompat-firstboot.service").read_text(encoding="utf-8")
    sys.stdout.write(unit.replace("@HWCOMPAT@", here).replace("@ARGS@", args.args.strip()))
    return EXIT_OK


def cmd_fleet(args: argparse.Namespace) -> int:
    """Judge many snapshots at once: exit 0 when every host is compatible, 1 otherwise."""
    from hwcompat import fleet  # noqa: PLC0415

    params = params_from(args.param)  # `--param lan_if` (no =) would set lan_if to '' and judge every host by it
    if args.profile:
        loader.load(args.profile, params)  # a bad profile is a usage error before any host is judged
    html = Path(args.html) if args.html else None
    rows = fleet.run_fleet(args.snapshots, args.profile, params, html, args.jobs)
    fleet.write(rows, html, Path(args.json) if args.json else None)
    sys.stdout.write(fleet.text(rows))
    return EXIT_OK if all(r.verdict == "compatible" for r in rows) else 1


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed from A to B (snapshots, or live): exit 0 when nothing did, 1 when something did."""
    from hwcompat.diff import diff, text  # noqa: PLC0415

    caches = [FactCache(open_source(None if ref == "live" else ref)) for ref in (args.a, args.b)]
    changes = diff(*caches)
    sys.stdout.write(text(changes, args.a, args.b))
    if args.json:
        Path(args.json).write_text(json.dumps({"a": args.a, "b": args.b, "changes": [c.to_json() for c in changes]}, indent=2) + "\n")
    return 1 if changes else EXIT_OK


def cmd_redact(args: argparse.Namespace) -> int:
    """Write a redacted copy of a snapshot: host name, serials, UUIDs, MACs and public addresses replaced."""
    from hwcompat.redact import Redactor, redact_snapshot  # noqa: PLC0415

    redactor = Redactor(_key(args.key_file), all_addresses=args.all_addresses)
    out = redact_snapshot(args.snapshot, args.out, redactor)
    print(f"hwcompat: wrote {out}; replaced {_replaced(redactor.counts)}")
    return EXIT_OK


def cmd_capture(args: argparse.Namespace) -> int:
    """Draft a profile from a machine (or several snapshots) and prove it passes against the same facts."""
    from hwcompat.capture import capture, certify  # noqa: PLC0415

    out = Path(args.out)
    if out.exists() and not args.force:
        _err(f"{out} exists; use --force to overwrite")
        return EXIT_USAGE
    if not _output_dir_ok(args.out):
        return EXIT_USAGE
    snapshots = list(args.snapshot or [])
    params = params_from(args.param)
    if params and not args.extends:
        _err("--param sets parameters of the profiles --extends names; there is none")
        return EXIT_USAGE
    if len(snapshots) > 1 or args.hosts_dir:
        return _certify(args, out, snapshots, certify)
    source = open_source(snapshots[0] if snapshots else None)
    done = capture(FactCache(source), out, args.name or out.stem, list(args.extends or []), params)
    for note in done.notes:
        print(f"  relaxed: {note}", file=sys.stderr)
    if done.failures:
        _err(f"wrote {out}, but it cannot pass here:")
        for item, result in done.failures:
            print(f"  {item}: {result.message}", file=sys.stderr)
        return EXIT_FAILED
    print(f"hwcompat: wrote {out}: {done.items} checks, all pass against {source.location or 'this machine'}", file=sys.stderr)
    return EXIT_OK


def _certify(args: argparse.Namespace, out: Path, snapshots: list[str], certify: Any) -> int:
    if args.extends:
        _err("capture from several snapshots drafts a board profile of its own; --extends is for one machine")
        return EXIT_USAGE
    if len(snapshots) < 2:
        _err("--hosts-dir needs two or more --snapshot (the machines to draft the shared profile from)")
        return EXIT_USAGE
    hosts_dir = Path(args.hosts_dir) if args.hosts_dir else None
    if hosts_dir is not None and not hosts_dir.is_dir():
        _err(f"--hosts-dir {hosts_dir}: no such directory (nothing was written)")
        return EXIT_USAGE
    machines: dict[str, FactCache] = {}
    for snap in snapshots:
        source = open_source(snap)
        host = str(getattr(source, "manifest", {}).get("hostname") or Path(snap).name.removesuffix(".tar.gz"))
        while host in machines:
            host += "-2"
        machines[host] = FactCache(source)
    try:
        done = certify(machines, out, args.name or out.stem, hosts_dir)
    except CannotCheck as err:  # a machine without the facts a board profile is drafted from (its PCI devices)
        _err(f"cannot draft a shared profile: {err.reason} (nothing was written)")
        return EXIT_USAGE
    for difference in done.differences:
        print(f"  differs: {difference}", file=sys.stderr)
    bad = {host: failures for host, failures in done.failures.items() if failures}
    for host, failures in bad.items():
        for item, result in failures:
            print(f"  {host}: {item}: {result.message}", file=sys.stderr)
    written = ", ".join([str(out), *map(str, done.hosts.values())])
    if bad:
        _err(f"wrote {written}, but it does not pass on every machine")
        return EXIT_FAILED
    print(f"hwcompat: wrote {written}: {done.board.items} checks, all pass on each of {', '.join(machines)}", file=sys.stderr)
    return EXIT_OK


def cmd_collector(args: argparse.Namespace) -> int:
    """Print the POSIX sh collector (to copy to a host that cannot run hwcompat), or the Ansible playbook's path."""
    here = Path(__file__).resolve().parent
    if args.playbook:
        print(here / "ansible" / "collect.yml")
    else:
        sys.stdout.write((here / "collector" / "hwcompat-collect").read_text(encoding="utf-8"))
    return EXIT_OK


def _shipped() -> list[Path]:
    return sorted(loader.PROFILES_DIR.rglob("*.yaml"))


def cmd_profiles(args: argparse.Namespace) -> int:
    """List | show P | lint [P ...] | schema."""
    if args.action == "schema":
        print(loader.SCHEMA_PATH.read_text(encoding="utf-8"), end="")
        return EXIT_OK
    if args.action == "show":
        if len(args.refs) != 1:
            _err("profiles show takes exactly one profile")
            return EXIT_USAGE
        from hwcompat.plan import items  # noqa: PLC0415

        profile = loader.load(args.refs[0], params_from(args.param), template=True)
        print(f"# {profile.name}: {profile.description}\n# chain: {' -> '.join(profile.chain)}")
        for value in profile.params:
            shown = repr(value.value) if value.value is not None else "(no value: set it in a host profile or with --param)"
            print(f"# param {value.name} = {shown}   ({value.where})")
        for kind, exp in items(profile):
            print(f"{kind.item_id(exp):50} {exp.describe():40} {exp.origin}")
        return EXIT_OK
    refs = args.refs or [str(p) for p in _shipped()]
    if not refs:
        _err(f"no profiles found in {loader.PROFILES_DIR}: the installation is incomplete")
        return EXIT_INTERNAL
    if args.action == "list":
        for ref in refs:
            rel = Path(ref).relative_to(loader.PROFILES_DIR).with_suffix("")
            try:
                desc = loader.load(ref, template=True).description
            except ProfileError as err:
                desc = f"INVALID: {err}"
            print(f"{rel.as_posix():40} {desc}")
        return EXIT_OK
    bad = 0
    for ref in refs:
        try:
            profile = loader.load(ref, template=True)
            unset = [v.name for v in profile.params if v.value is None]
            print(f"ok      {profile.file}" + (f" (a template: set {', '.join(unset)} to use it)" if unset else ""))
            for warning in loader.shared_warnings(loader.find_profile(ref)):
                print(f"WARNING {warning}")
        except ProfileError as err:
            bad += 1
            print(f"INVALID {err}")
    print(f"{len(refs) - bad} of {len(refs)} profile(s) valid", file=sys.stderr)
    return EXIT_USAGE if bad else EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; hwcompat's contract says 4 (2 is "interrupted")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _redact_options(parser: argparse.ArgumentParser, flag: str | None) -> None:
    if flag:
        parser.add_argument(flag, action="store_true", help="replace the host name, serials, UUIDs, MACs and public addresses (see redact)")
    parser.add_argument("--key-file", metavar="F", help="the pseudonyms' key (reuse it across a fleet for consistent names; default: random)")
    parser.add_argument("--all-addresses", action="store_true", help="also replace private and special-purpose addresses "
                                                                       "(then profiles that name them no longer match)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the self-tests)."""
    ap = _Parser(prog="hwcompat", description="Check a Linux machine, or a snapshot of one, against a hardware profile.")
    ap.add_argument("--version", action="version", version=f"hwcompat {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="check this machine (or --snapshot S) against a profile")
    run.add_argument("--profile", metavar="P", help="a path, or a name under profiles/ (hosts/x10sae-xen-dom0)")
    run.add_argument("--snapshot", metavar="S", help="a snapshot directory or .tar.gz instead of this machine")
    run.add_argument("--html", metavar="F", help="write a self-contained HTML report")
    run.add_argument("--junitxml", metavar="F", help="write a JUnit XML report")
    run.add_argument("--json", metavar="F", help="write results as JSON")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a profile parameter (repeatable)")
    run.add_argument("--waivers", metavar="FILE", help="known exceptions: waivers: {ITEM: {reason, ticket, expires}}")
    run.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="passed on to pytest")
    snap = sub.add_parser("snapshot", help="record this machine (read-only)")
    snap.add_argument("--out", required=True, metavar="DIR|FILE.tar.gz")
    _redact_options(snap, "--redact")
    unit = sub.add_parser("firstboot-unit", help="print the systemd unit that runs the acceptance check once after installation")
    unit.add_argument("--args", default="", metavar="'--profile P ...'", help="what `hwcompat run` is given (default: the profile chosen by match)")
    flt = sub.add_parser("fleet", help="judge many snapshots at once: one verdict per host, what fails where")
    flt.add_argument("snapshots", nargs="+", metavar="S", help="snapshot directories or .tar.gz files")
    flt.add_argument("--profile", metavar="P", help="the profile for every host (default: each host's own, by match)")
    flt.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a profile parameter (repeatable)")
    flt.add_argument("--html", metavar="F", help="write the fleet report (each host's own report goes in F's stem + -hosts/)")
    flt.add_argument("--json", metavar="F", help="write the fleet as JSON")
    flt.add_argument("--jobs", type=_positive, metavar="N", help="worker processes (default: one per core)")
    dif = sub.add_parser("diff", help="what changed between two snapshots (or a snapshot and this machine: live)")
    dif.add_argument("a", metavar="A", help="a snapshot, or live")
    dif.add_argument("b", metavar="B", help="a snapshot, or live")
    dif.add_argument("--json", metavar="F", help="also write the changes as JSON")
    red = sub.add_parser("redact", help="write a copy of a snapshot without what identifies the machine")
    red.add_argument("snapshot", metavar="S", help="a snapshot directory or .tar.gz")
    red.add_argument("--out", required=True, metavar="DIR|FILE.tar.gz")
    _redact_options(red, None)
    cap = sub.add_parser("capture", help="draft a profile from this machine or a snapshot")
    cap.add_argument("--snapshot", metavar="S", action="append", help="a snapshot (repeat it: the shared profile of several machines)")
    cap.add_argument("--hosts-dir", metavar="DIR", help="with several snapshots: write each machine's differences as a host profile here")
    cap.add_argument("--extends", action="append", metavar="P", help="write only what P does not already say (repeatable)")
    cap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="set a parameter of an --extends profile (repeatable); the draft keeps it under params:")
    cap.add_argument("--out", required=True, metavar="FILE.yaml")
    cap.add_argument("--name", help="profile name (default: the file name)")
    cap.add_argument("--force", action="store_true", help="overwrite --out")
    coll = sub.add_parser("collector", help="print the sh collector for old hosts (sh hwcompat-collect --out S.tar.gz)")
    coll.add_argument("--playbook", action="store_true", help="print the path of the Ansible playbook that runs it on many hosts")
    prof = sub.add_parser("profiles", help="list | show P | lint [P ...] | schema")
    prof.add_argument("action", choices=["list", "show", "lint", "schema"])
    prof.add_argument("refs", nargs="*", metavar="P")
    prof.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a profile parameter (show)")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hwcompat`` console script."""
    args = build_parser().parse_args(argv)
    handlers = {"run": cmd_run, "snapshot": cmd_snapshot, "capture": cmd_capture, "profiles": cmd_profiles, "redact": cmd_redact, "diff": cmd_diff,
                "fleet": cmd_fleet, "firstboot-unit": cmd_firstboot_unit, "collector": cmd_collector}
    try:
        return handlers[args.command](args)
    except (ProfileError, SnapshotError) as err:
        _err(str(err))
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (hwcompat profiles list | head): end as a shell tool would, silently
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as err:  # an output that could not be written after all (disk full, raced away)
        _err(f"{err.filename or ''}: {err.strerror or err}")
        return EXIT_USAGE
    except HwcompatError as err:  # a ParseError on real input: hwcompat itself needs fixing
        _err(f"internal error: {err}")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 2


if __name__ == "__main__":
    sys.exit(main())
