"""Network checks: interfaces, policy rules, routes, forwarding, rp_filter, NAT, OpenVPN.

And the question the admin really has: where does this traffic go, and does it leak when the
tunnel is down.
"""

from __future__ import annotations

import ipaddress

from hwcompat.facts import known
from hwcompat.facts.network import NetworkFacts, RouteLookups
from hwcompat.ipnames import PROTOCOLS
from hwcompat.matchers import from_data, show
from hwcompat.parsers.ip_json import RouteRule
from hwcompat.profile.model import NetExpectation
from hwcompat.results import CheckResult, cannot_check, failed, passed
from hwcompat.routing import Answer, Query, prefix, route_packet, table_number

RP_MODES = {0: "off", 1: "strict", 2: "loose"}


def _table(net: NetworkFacts, name: object) -> str:
    return net.table_id(str(name))


def _network(text: str | None, plen: int | None = None) -> ipaddress.IPv4Network | None:
    if text is None or text == "all":
        return None
    if text == "default":
        return ipaddress.IPv4Network("0.0.0.0/0")
    return ipaddress.IPv4Network(text if "/" in text else f"{text}/{plen if plen is not None else 32}", strict=False)


def _result(problems: list[str], ok: str, source: str) -> CheckResult:
    if problems:
        return failed("; ".join(problems), source=source)
    return passed(ok, source=source)


def interface(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """The interface exists, with its kind, state, VLAN id and parent, bridge members and addresses."""
    links = known(net.links)
    link = links.get(exp.name)
    if link is None:
        return failed(f"missing: no interface {exp.name} (have: {', '.join(sorted(links))})", source=net.links_from)
    problems = []
    for name, found in (("kind", link.kind), ("vlan_id", link.vlan_id), ("parent", link.parent)):
        if exp.get(name) is not None:
            m = from_data(exp.get(name), exp.origin)
            if not m.matches(found):
                problems.append(f"{name} expected {m.describe()}, found {show(found)}")
    up = exp.get("up")
    if up is not None and ("UP" in link.flags) != up:
        problems.append(f"expected {'up' if up else 'down'}, found {'up' if 'UP' in link.flags else 'down'} (operstate {link.operstate})")
    members = exp.get("members")
    if isinstance(members, list):
        have = sorted(n for n, other in links.items() if other.master == exp.name)
        missing = [m for m in members if m not in have]
        if missing:
            problems.append(f"bridge members missing: {', '.join(missing)} (members: {', '.join(have) or 'none'})")
    addresses = exp.get("addresses")
    if isinstance(addresses, list):
        have_addrs = {str(ipaddress.IPv4Interface(f"{a.local}/{a.prefixlen}")) for a in known(net.addrs)
                      if a.ifname == exp.name and a.family == "inet"}
        missing = [a for a in addresses if str(ipaddress.IPv4Interface(a)) not in have_addrs]
        if missing:
            problems.append(f"addresses missing: {', '.join(missing)} (has: {', '.join(sorted(have_addrs)) or 'none'})")
    source = net.links_from if not exp.get("addresses") else f"{net.links_from}; {net.addrs_from}"
    return _result(problems, f"{link.kind or 'interface'} {exp.name}, {'up' if 'UP' in link.flags else 'down'}", source)


def forwarding(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """net.ipv4.ip_forward."""
    want = bool(exp.get("want"))
    have = bool(known(net.forwarding))
    problems = [] if have == want else [
        f"IPv4 forwarding is {'on' if have else 'off'}: " + ("the gateway drops every packet it should route; set net.ipv4.ip_forward=1 "
                                                              "in /etc/sysctl.conf" if want else "set net.ipv4.ip_forward=0")]
    return _result(problems, f"IPv4 forwarding {'on' if have else 'off'}", "/proc/sys/net/ipv4/ip_forward")


def rp_filter(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """The effective reverse-path filter of an interface: max(conf/all, conf/IFACE)."""
    rp = known(net.rp_filter)
    if exp.name not in rp:
        return failed(f"missing: no interface {exp.name} (no /proc/sys/net/ipv4/conf/{exp.name})", source="/proc/sys/net/ipv4/conf")
    everywhere, own = rp.get("all", 0), rp[exp.name]
    mode = RP_MODES.get(max(everywhere, own), str(max(everywhere, own)))
    want = str(exp.get("want"))
    ok = mode != "strict" if want == "not_strict" else mode == want
    how = f"effective {mode} = max(all={everywhere}, {exp.name}={own})"
    problems = [] if ok else [
        f"{how}, expected {want.replace('_', ' ')}: strict filtering drops packets whose way back the policy rules send "
        f"elsewhere (a source routed into the tunnel arriving on another link); set net.ipv4.conf.{exp.name}.rp_filter=2 "
        f"and net.ipv4.conf.all.rp_filter to 0 or 2"]
    return _result(problems, how, f"/proc/sys/net/ipv4/conf/{{all,{exp.name}}}/rp_filter")


def _mark(text: str) -> tuple[int, int]:
    value, _, mask = text.partition("/")
    return int(value, 0), int(mask, 0) if mask else 0xFFFFFFFF


def _rule_text(r: RouteRule) -> str:
    """The rule as ip rule writes it: ``32765: not from all fwmark 0xca6c lookup 51820``."""
    words = ["not" if r.not_ else "", f"from {r.src or 'all'}" + (f"/{r.srclen}" if r.srclen is not None else ""),
             f"to {r.dst}" + (f"/{r.dstlen}" if r.dstlen is not None else "") if r.dst else ""]
    words += [f"{name} {value}" for name, value in (("tos", r.tos), ("dscp", r.dscp), ("fwmark", r.fwmark), ("iif", r.iif), ("oif", r.oif),
                                                    ("uidrange", r.uidrange), ("ipproto", r.ipproto), ("sport", r.sport), ("dport", r.dport))
              if value is not None]
    words += ["lookup [l3mdev-table]" if r.l3mdev else "", f"lookup {r.table}" if r.table else ""]
    words += [f"suppress_prefixlength {r.suppress_prefixlen}" if r.suppress_prefixlen is not None else "",
              f"suppress_ifgroup {r.suppress_ifgroup}" if r.suppress_ifgroup is not None else "",
              f"goto {r.goto}" if r.action == "goto" else (r.action or ""), *r.unknown]
    return f"{r.priority}: " + " ".join(w for w in words if w)


def rule(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """A policy rule at its priority, with its selectors compared as networks and its table."""
    rules = known(net.rules)
    found = [r for r in rules if r.priority == int(exp.name)]
    if not found:
        near = ", ".join(str(r.priority) for r in rules)
        return failed(f"missing: no rule at priority {exp.name} (priorities: {near})", source=net.rules_from)
    r = found[0]
    problems = []
    for name, text, plen in (("from", r.src, r.srclen), ("to", r.dst, r.dstlen)):
        want = exp.get(name)
        if want is not None and _network(str(want)) != _network(text, plen):
            problems.append(f"{name} expected {_network(str(want))}, found {_network(text, plen) or 'all'}")
    for name, have in (("iif", r.iif), ("oif", r.oif), ("action", r.action)):
        want = exp.get(name)
        if want is not None and str(want) != str(have):
            problems.append(f"{name} expected {want}, found {show(have)}")
    want = exp.get("fwmark")
    if want is not None and (r.fwmark is None or _mark(str(want)) != _mark(r.fwmark)):
        problems.append(f"fwmark expected {want}, found {show(r.fwmark)}")
    table = exp.get("table")
    if table is not None and (r.table is None or _table(net, table) != _table(net, r.table)):
        problems.append(f"table expected {table}, found {show(r.table)}")
    return _result(problems, _rule_text(r), net.rules_from)


def route(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """A route of a table: destination, device, gateway, type."""
    table, _, dst = exp.name.partition("/")
    want_net, want_len = prefix(dst, None) if dst != "default" else (0, 0)
    levels = net.route_index().get(table_number(table, net.rt_tables), [])
    found = next((nets.get(want_net, []) for plen, nets in levels if plen == want_len), [])
    if not found:
        in_table = [r for _, nets in levels for routes in nets.values() for r in routes]
        listing = "; ".join(f"{r.type + ' ' if r.type != 'unicast' else ''}{r.dst} {('dev ' + r.dev) if r.dev else ''}".strip() for r in in_table[:20])
        more = f"; and {len(in_table) - 20} more" if len(in_table) > 20 else ""
        return failed(f"missing: no route to {dst} in table {table} (table {table}: {listing or 'no IPv4 route'}{more})", source=net.routes_from)
    problems = []
    for r in found[:1]:
        for name, have in (("dev", r.dev), ("via", r.gateway), ("type", r.type)):
            want = exp.get(name)
            if want is not None and str(want) != str(have):
                problems.append(f"{name} expected {want}, found {show(have)}")
    r = found[0]
    return _result(problems, f"table {table}: {r.dst} dev {r.dev}" + (f" via {r.gateway}" if r.gateway else ""), net.routes_from)


def openvpn(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """One property of an OpenVPN client config: dev, route-noexec, route-metric, auth-user-pass file."""
    configs = known(net.openvpn)
    conf = configs.get(exp.name)
    if conf is None:
        return failed(f"missing: no /etc/openvpn/{exp.name}.conf (configs: {', '.join(sorted(configs)) or 'none'})", source="/etc/openvpn")
    want = exp.get(exp.prop)
    problems: list[str] = []
    ok = ""
    if exp.prop == "dev":
        d = conf.get("dev")
        m = from_data(want, exp.origin)
        have = d.args[0] if d and d.args else None
        ok = f"dev {have}"
        if not m.matches(have):
            problems.append(f"dev expected {m.describe()}, found {show(have)}")
    elif exp.prop == "route_noexec":
        d = conf.get("route-noexec")
        ok = f"route-noexec at {conf.path}:{d.line_no}" if d else "no route-noexec"
        if bool(d) != bool(want):
            problems.append("route-noexec is missing: the server's pushed routes (redirect-gateway) would replace the policy routing; "
                            "add `route-noexec`" if want else f"route-noexec present at line {d.line_no if d else 0}")
    elif exp.prop == "route_metric":
        d = conf.get("route-metric")
        ok = "no route-metric"
        if d:
            problems.append(f"route-metric is set at {conf.path}:{d.line_no}: comment it out")
    else:
        d = conf.get("auth-user-pass")
        if d is None or not conf.auth_file:
            problems.append("auth-user-pass names no file: OpenVPN would ask for the password on a terminal at boot")
        elif known(conf.auth_stat) is None:
            problems.append(f"{conf.auth_file} (auth-user-pass) does not exist")
        else:
            st = known(conf.auth_stat)
            assert st is not None
            mode = int(st.mode, 8)
            if st.uid != 0:
                problems.append(f"{conf.auth_file} is owned by uid {st.uid}, not root")
            if mode & 0o077:
                problems.append(f"{conf.auth_file} is readable by group or others (mode {st.mode}): chmod 600 {conf.auth_file} "
                                "(OpenVPN only warns 'file is group or others accessible')")
            ok = f"{conf.auth_file}: root, mode {st.mode}"
    return _result(problems, ok, conf.path)


def _number(exp: NetExpectation, key: str) -> int | None:
    value = exp.get(key)
    return None if value is None else int(str(value), 0)


def query(exp: NetExpectation) -> Query:
    """The packet a ``paths`` or ``no_leak`` entry asks about (what it leaves out: see :class:`~hwcompat.routing.Query`)."""
    iif, proto = exp.get("iif"), exp.get("proto")
    number = None if proto is None else int(str(proto)) if str(proto).isdigit() else PROTOCOLS[str(proto).lower()]
    return Query(str(exp.get("from")), str(exp.get("to")), str(iif) if iif else None, _number(exp, "mark") or 0,
                 _number(exp, "tos") or 0, number, _number(exp, "sport"), _number(exp, "dport"), _number(exp, "uid"))


def path(exp: NetExpectation, net: NetworkFacts, lookups: RouteLookups) -> CheckResult:
    """Traffic from a source (arriving on an interface) to a destination leaves through the expected interface.

    Live, the kernel answers (``ip route get``), unless the evaluator finds that the answer depends
    on what the path leaves open (a rule on ports the path does not state, a multipath route):
    the kernel would answer for one arbitrary packet, so that is "cannot check" either way.
    """
    q = query(exp)
    what = q.describe()
    offline = route_packet(net.fib(), q)
    kernel = lookups.answers.get(q)
    if kernel is not None and not isinstance(kernel, Answer) and kernel.broken:
        known(kernel)  # the kernel answered, but not in words hwcompat can read
    how = "evaluating the recorded rules and routes"
    if offline.unknown and (offline.open or not isinstance(kernel, Answer)):
        return cannot_check(f"{what}: {offline.describe()}", str(exp.get("leaves")), origin="")
    answer = offline
    if isinstance(kernel, Answer):
        answer, how = kernel, "the kernel (ip route get)"
    leaves = str(exp.get("leaves"))
    if answer.dev == leaves and not answer.error and not answer.local:
        return passed(f"{what} leaves through {leaves}, says {how}", leaves, answer.describe(), how)
    return failed(f"{what} should leave through {leaves}, but {answer.describe()} (asked {how})", leaves, answer.describe(), how)


def no_leak(exp: NetExpectation, net: NetworkFacts) -> CheckResult:
    """With the tunnel device gone, the traffic is dropped (or stays on this host) instead of leaving through another uplink."""
    q = query(exp)
    tunnel = str(exp.get("tunnel"))
    fib = net.fib()
    down = route_packet(fib, q, frozenset({tunnel}))
    what = q.describe()
    how = "evaluated offline over the recorded rules and routes with the tunnel removed"
    if down.unknown:
        return cannot_check(f"{what} with {tunnel} gone: {down.describe()}", "dropped")
    if down.error or down.local:
        return passed(f"with {tunnel} gone, traffic {what} is {down.describe()}: no leak", "dropped", down.describe(), how)
    up = route_packet(fib, q)
    table = up.table if up.dev == tunnel and up.table else None
    fix = (f"add `ip route add unreachable default metric 4278198272 table {table}` (kept when the tunnel route goes)" if table
           else f"add a rule that drops it, e.g. `ip rule add from {q.src} unreachable` just after the tunnel's rule")
    return failed(f"leak: with {tunnel} gone, traffic {what} {down.describe()}; {fix}", "dropped", down.describe(), how)
