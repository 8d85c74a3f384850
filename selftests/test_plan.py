"""The item-kind table and the acceptance tests agree: every test in tests_*/ is the three lines its kind
says (docstring, check, facts), so a swapped check or a missing domain cannot land; ids are one and the same
in pytest, evaluate() and the JSON report; registries are complete."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from hwcompat import checks
from hwcompat.checks.pci import PROPERTIES
from hwcompat.facts.cache import DOMAINS, FactCache
from hwcompat.plan import BY_NAME, KINDS, evaluate
from hwcompat.profile import loader
from hwcompat.profile.model import PCI_ENTRY_KEYS
from hwcompat.sources.snapshot import SnapshotSource
from selftests.conftest import REPO, SEED
from selftests.test_suite import hwcompat

TEST_FILES = sorted(p for d in ("tests_hw", "tests_xen", "tests_net") for p in (REPO / d).glob("test_*.py"))


def problems(source: str) -> list[str]:
    """What in an acceptance test file does not match the item kinds (empty when all is well)."""
    out = []
    for fn in ast.parse(source).body:
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
            continue
        kind = BY_NAME.get(fn.name)
        if kind is None:
            out.append(f"{fn.name}: no item kind of that name")
            continue
        if [a.arg for a in fn.args.args] != ["expectation", "facts"]:
            out.append(f"{fn.name}: takes {[a.arg for a in fn.args.args]}, not (expectation, facts)")
        if ast.get_docstring(fn) != kind.doc:
            out.append(f"{fn.name}: docstring {ast.get_docstring(fn)!r} is not the kind's {kind.doc!r}")
        body = fn.body[1:]
        call = body[0].value if len(body) == 1 and isinstance(body[0], ast.Expr) else None
        inner = call.args[0] if isinstance(call, ast.Call) and ast.unparse(call.func) == "assert_check" and len(call.args) == 1 else None
        if not isinstance(inner, ast.Call):
            out.append(f"{fn.name}: body is not assert_check(<check call>)")
            continue
        want_check = f"checks.{kind.check.__module__.rsplit('.', 1)[1]}.{kind.check.__name__}"
        want_args = ["expectation", *(f"facts.{d.name}" for d in kind.domains)]
        if ast.unparse(inner.func) != want_check:
            out.append(f"{fn.name}: calls {ast.unparse(inner.func)}, its kind's check is {want_check}")
        if [ast.unparse(a) for a in inner.args] != want_args:
            out.append(f"{fn.name}: passes {[ast.unparse(a) for a in inner.args]}, its kind takes {want_args}")
    return out


def test_every_acceptance_test_matches_its_kind() -> None:
    names = []
    for path in TEST_FILES:
        source = path.read_text()
        assert problems(source) == [], path.name
        names += [fn.name for fn in ast.parse(source).body if isinstance(fn, ast.FunctionDef)]
    assert sorted(names) == sorted(BY_NAME), "one acceptance test per item kind"


def test_a_swapped_check_or_a_missing_domain_is_caught() -> None:
    source = (REPO / "tests_hw/test_pci.py").read_text()
    swapped = source.replace("checks.pci.device(expectation, facts.pci)", "checks.pci.unlisted(expectation, facts.pci)")
    assert problems(swapped) == ["test_pci_device: calls checks.pci.unlisted, its kind's check is checks.pci.device"]
    tmem = (REPO / "tests_xen/test_tmem.py").read_text()
    short = tmem.replace("checks.tmem.swap(expectation, facts.kernel, facts.xen, facts.tmem)", "checks.tmem.swap(expectation, facts.kernel, facts.xen)")
    assert problems(short) == ["test_tmem_swap: passes ['expectation', 'facts.kernel', 'facts.xen'], its kind takes "
                               "['expectation', 'facts.kernel', 'facts.xen', 'facts.tmem']"]


def test_ids_are_the_same_in_pytest_evaluate_and_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    hwcompat("run", "--profile", "hosts/x10sae-xen-dom0", "--snapshot", str(SEED), "--json", str(out))
    ran = {i["test"].split("::", 1)[1] for i in json.loads(out.read_text())["items"]}
    evaluated = {item for item, _ in evaluate(loader.load("hosts/x10sae-xen-dom0"), FactCache(SnapshotSource(SEED)))}
    assert ran - {"test_network_interface[no-network]"} == evaluated


def test_registries_are_complete() -> None:
    schema = loader.schema()
    assert set(schema["$defs"]["pci_device"]["properties"]) - set(PCI_ENTRY_KEYS) == set(PROPERTIES)
    assert {k.section for k in KINDS} <= set(schema["properties"])
    primaries = [k.section for k in KINDS if k.primary]
    assert sorted(primaries) == sorted(set(primaries)), "one primary kind per section"
    assert {k.section for k in KINDS} == set(primaries)
    # every facts domain has a checks module of the same stem, and some kind reads it
    stems = {d.name for d in DOMAINS}
    assert stems <= set(checks.__all__)
    assert stems <= {d.name for k in KINDS for d in k.domains}


def test_a_profile_loads_only_the_facts_and_checks_its_sections_need() -> None:
    """A board profile (no xen, tmem, cpuid_flags or network section) never imports those stacks: each one is
    imported on first collection, which keeps a run or a capture of a plain machine from paying for them."""
    lazy = ["hwcompat.facts.xen", "hwcompat.facts.tmem", "hwcompat.facts.cpuid", "hwcompat.facts.network", "hwcompat.facts.nat",
            "hwcompat.routing", "hwcompat.natwalk"]
    code = ("import sys\nfrom hwcompat.facts.cache import FactCache\nfrom hwcompat.plan import evaluate\n"
            "from hwcompat.profile import loader\nfrom hwcompat.sources.snapshot import SnapshotSource\nimport hwcompat.cli, hwcompat.capture\n"
            f"results = evaluate(loader.load('boards/supermicro-x10sae'), FactCache(SnapshotSource({str(REPO / 'snapshots/x10sae-core-i5')!r})))\n"
            "assert results and all(r.outcome in ('passed', 'skipped') for _, r in results), results\n"
            f"print(sorted(m for m in {lazy!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
    seed = subprocess.run([sys.executable, "-c", code.replace("boards/supermicro-x10sae", "hosts/x10sae-xen-dom0").replace(
        "x10sae-core-i5", "x10sae-xen-dom0")], capture_output=True, text=True, cwd=REPO, check=False)
    assert seed.stdout.strip() == "['hwcompat.facts.cpuid', 'hwcompat.facts.xen']", seed.stdout + seed.stderr  # the seed asks cpuid_flags and xen


def test_a_capture_of_a_machine_not_in_dom0_does_not_load_the_xl_parsers() -> None:
    code = ("import sys\nfrom hwcompat.capture import draft\nfrom hwcompat.facts.cache import FactCache\n"
            "from hwcompat.sources.snapshot import SnapshotSource\n"
            f"data = draft(FactCache(SnapshotSource({str(REPO / 'snapshots/x10sae-core-i5')!r})), 'x')\n"
            "assert 'pci' in data and 'xen' not in data, sorted(data)\n"
            "print('hwcompat.facts.xen' in sys.modules, sorted(m for m in sys.modules if m.startswith(('hwcompat.parsers.xl', 'hwcompat.parsers.xentop'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.stdout.strip() == "True []", done.stdout + done.stderr  # Xen facts asked (not under Xen), xl never
