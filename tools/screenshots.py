"""Regenerate the report screenshots in docs/: a passing, a failing and an incomplete run, as Chromium shows them.

    ./dev screenshots

Needs Debian's chromium (apt-get install chromium). The three runs are the ones the report
self-tests check (selftests/test_report.py): the seed host on its snapshot (COMPATIBLE), the
published gateway (NOT COMPATIBLE: the leak), and the seed snapshot without `xl info` (INCOMPLETE).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def main() -> int:
    """Run the three reports and screenshot the top of each page."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("screenshots: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 4
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        incomplete = t / "seed-no-xl-info"
        shutil.copytree(ROOT / "snapshots/x10sae-xen-dom0", incomplete, symlinks=True)
        manifest = json.loads((incomplete / "manifest.json").read_text())
        manifest["commands"] = [c for c in manifest["commands"] if c["argv"][:2] != ["xl", "info"]]
        (incomplete / "manifest.json").write_text(json.dumps(manifest))
        runs = {"report-compatible": ("hosts/x10sae-xen-dom0", ROOT / "snapshots/x10sae-xen-dom0"),
                "report-not-compatible": ("hosts/vpn-gateway", ROOT / "snapshots/vpn-gateway"),
                "report-incomplete": ("hosts/x10sae-xen-dom0", incomplete)}
        for name, (profile, snapshot) in runs.items():
            html = t / f"{name}.html"
            subprocess.run([sys.executable, "-m", "hwcompat.cli", "run", "--profile", profile, "--snapshot", str(snapshot), "--html", str(html),
                            "--", "-q"], cwd=ROOT, capture_output=True, check=False)
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                            f"--user-data-dir={t / 'chromium'}", "--window-size=1200,1500", f"--screenshot={DOCS / (name + '.png')}",
                            html.as_uri()], capture_output=True, check=True)
            print(f"wrote docs/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
