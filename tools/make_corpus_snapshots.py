"""Write the bundled snapshots that are built from real published outputs (selftests/data/corpus).

    python tools/make_corpus_snapshots.py            # rewrite them all
    python tools/make_corpus_snapshots.py --check    # exit 1 if a committed one differs
    python tools/make_corpus_snapshots.py NAME ...   # only these

Each snapshot has one module in tools/corpus_snapshots/: ``NAME.py`` builds ``snapshots/NAME``
with ``build(out)``, reading the corpus files it names (so the snapshot holds the published text,
byte for byte, where the README says so). The snapshot's README (kept, never generated) says
which parts were published, where, and what was filled in to make a whole machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
CORPUS = ROOT / "selftests" / "data" / "corpus"
sys.path.insert(0, str(TOOLS))

from make_seed_snapshots import _write, refresh  # noqa: E402  (tools/ is not a package)

__all__ = ["CORPUS", "ROOT", "corpus", "write"]


def corpus(rel: str) -> str:
    """The text of one corpus file (``ip_rule_text/NAME.txt``), exactly as recorded."""
    return (CORPUS / rel).read_text(encoding="utf-8")


def write(out: Path, files: dict[str, str], commands: list[tuple[list[str], str | None, int, str]], recorded: list[str],
          hostname: str, links: dict[str, str] | None = None) -> None:
    """Write snapshot format v1 into ``out`` (``commands``: argv, stdout or None, exit status, stderr)."""
    _write(out, files, links or {}, commands, recorded, hostname, "2026-11-26T00:00:00Z",
           captured_by=f"tools/corpus_snapshots/{out.name.replace('-', '_')}.py (built from published outputs, not recorded)")


def _modules(names: list[str]) -> dict[str, ModuleType]:
    found = {}
    for path in sorted((TOOLS / "corpus_snapshots").glob("*.py")):
        if names and path.stem not in {n.replace("-", "_") for n in names}:
            continue
        spec = importlib.util.spec_from_file_location(f"corpus_snapshots.{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem.replace("_", "-")] = module
    missing = set(n.replace("_", "-") for n in names) - set(found)
    if missing:
        raise SystemExit(f"no builder for {', '.join(sorted(missing))} in tools/corpus_snapshots/")
    return found


def main() -> int:
    """Rewrite the snapshots, or with --check compare them with the committed ones."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if a committed snapshot differs")
    ap.add_argument("names", nargs="*", help="snapshot names (default: all)")
    args = ap.parse_args()
    for name, module in _modules(args.names).items():
        if not refresh(ROOT / "snapshots" / name, module.build, args.check, f"tools/corpus_snapshots/{name.replace('-', '_')}.py"):
            return 1
        if not args.check:
            print(f"wrote snapshots/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
