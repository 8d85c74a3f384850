"""The corpus of real, published outputs (selftests/data/corpus): each sample with its recorded outcome.

Every sample is named in SOURCES.md with where it was published. Each one a hwcompat parser
reads has its outcome recorded in EXPECTED.json, as a pair: the records it gives, or the line
it is refused on and why. A parser change that reads any real sample differently fails here
and shows which; a deliberate one is recorded with ``python -m selftests.test_corpus --record``
and reviewed in the diff. Samples that are not command output (prose quoting an output,
source-history evidence) or that hwcompat reads through another tool are listed with why.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwcompat.errors import ParseError
from hwcompat.parsers.registry import PARSERS

CORPUS = Path(__file__).parent / "data" / "corpus"
EXPECTED = CORPUS / "EXPECTED.json"

#: corpus folder -> the parser that reads its samples (None: chosen per file below)
PARSER_OF = {
    "bls_entries": None, "grub_default": "grub_default", "grub_legacy": "grub_legacy", "ip_addr_text": "ip_addr_text",
    "ip_link_text": "ip_link_text", "ip_route_json": "ip_route", "ip_route_text": "ip_route_text", "ip_rule_json": "ip_rule",
    "ip_rule_text": "ip_rule_text", "iptables_save": "iptables_save", "nft_json": "nft_json", "xentop": "xentop_batch",
    "xl_info": "xl_info", "xl_list": "xl_list",
}
#: folders whose samples no hwcompat parser reads, and why
NOT_PARSED = {
    "pci": "lspci -vvnn listings: tools/snapshot_from_lspci.py builds snapshots from them (its --check self-test reads them)",
    "nft_text": "nft's text form: hwcompat reads nft -j; the NAT self-tests load these rulesets with nft -f in namespaces",
    "iproute2_414_text_under_j": "issue and commit text quoting iproute2 4.14-4.16 output (with prompts): the evidence for reading text under -j",
}
#: single samples that are evidence, not output
NOT_OUTPUT = {"xentop/xen-git--xentop-column-history.txt": "git history of xentop's columns (evidence for the Xen 4.0 claim)"}


def samples() -> list[Path]:
    return sorted(p for folder in PARSER_OF for p in (CORPUS / folder).iterdir()
                  if f"{folder}/{p.name}" not in NOT_OUTPUT)


def parser_for(path: Path) -> str:
    name = PARSER_OF[path.parent.name]
    if name is None:  # BootLoaderSpec folder: entries and grubenv files
        return "grubenv" if "grubenv" in path.name else "bls"
    return name


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(_plain(v) for v in value)
    return value


def outcome(path: Path) -> dict[str, Any]:
    """What the sample's parser makes of it: its records, or the line it refuses and why."""
    name = parser_for(path)
    try:
        return {"parser": name, "records": json.loads(json.dumps(_plain(PARSERS[name](path.read_text())), default=str))}
    except ParseError as err:
        return {"parser": name, "refused": {"line": err.line_no, "reason": err.reason}}


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", samples(), ids=_key)
def test_each_sample_reads_as_recorded(path: Path) -> None:
    recorded = json.loads(EXPECTED.read_text()).get(_key(path))
    assert recorded is not None, f"no recorded outcome for {_key(path)}: run python -m selftests.test_corpus --record and review"
    got = outcome(path)
    assert got == recorded
    if "refused" in got:  # a refusal names a line of the sample, and quotes it
        assert 1 <= got["refused"]["line"] <= len(path.read_text().splitlines())


def test_every_recorded_outcome_has_its_sample() -> None:
    assert set(json.loads(EXPECTED.read_text())) == {_key(p) for p in samples()}


def test_every_sample_names_its_source() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS and p.name != "README.md"]
    # a folder may keep its own README of sources (pci/, whose listings name boards by their hw-probe ids)
    missing = [_key(p) for p in files if p.name not in sources and not _in_readme(p)]
    assert not missing, f"not in SOURCES.md: {missing}"
    assert set(NOT_PARSED) | set(PARSER_OF) == {p.name for p in CORPUS.iterdir() if p.is_dir()}


def _in_readme(path: Path) -> bool:
    """The folder's README names the file, or the machine id in its name (``x10sae--FB4CD398216A--dmidecode.txt``)."""
    readme = path.parent / "README.md"
    if not readme.exists():
        return False
    text = readme.read_text()
    ids = path.name.split("--")[1:-1]
    return path.name in text or any(i.split("-")[0] in text for i in ids if i)


def test_the_corpus_is_big_enough_to_mean_something() -> None:
    parsed = samples()
    assert len(parsed) >= 60
    assert sum("refused" not in json.loads(EXPECTED.read_text())[_key(p)] for p in parsed) >= 50


@given(st.sampled_from(samples()), st.data())
def test_parsers_stay_total_on_damaged_real_samples(path: Path, data: st.DataObject) -> None:
    """Real samples cut, spliced and garbled: records or a ParseError, never another exception."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    cut = data.draw(st.integers(0, len(lines)))
    garble = data.draw(st.text(max_size=40))
    damaged = "".join(lines[:cut]) + garble + "".join(lines[cut + data.draw(st.integers(0, 3)):])
    try:
        PARSERS[parser_for(path)](damaged)
    except ParseError:
        pass


if __name__ == "__main__" and "--record" in sys.argv:
    EXPECTED.write_text(json.dumps({_key(p): outcome(p) for p in samples()}, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(samples())} outcomes in {EXPECTED}")
