"""The network: interfaces, policy routing, NAT, OpenVPN, and where traffic really goes."""

from hwcompat import checks
from hwcompat.acceptance import assert_check


def test_network_interface(expectation, facts):
    """The interface exists as the profile describes it."""
    assert_check(checks.network.interface(expectation, facts.network))


def test_network_forwarding(expectation, facts):
    """IPv4 forwarding is as the profile says."""
    assert_check(checks.network.forwarding(expectation, facts.network))


def test_network_rp_filter(expectation, facts):
    """Reverse-path filtering lets the routed traffic through."""
    assert_check(checks.network.rp_filter(expectation, facts.network))


def test_network_rule(expectation, facts):
    """The policy rule is in place at its priority."""
    assert_check(checks.network.rule(expectation, facts.network))


def test_network_route(expectation, facts):
    """The route is in its table."""
    assert_check(checks.network.route(expectation, facts.network))


def test_network_nat(expectation, facts):
    """Traffic leaving through the interface is masqueraded."""
    assert_check(checks.nat.nat(expectation, facts.nat))


def test_network_openvpn(expectation, facts):
    """The OpenVPN client is configured as the policy routing needs."""
    assert_check(checks.network.openvpn(expectation, facts.network))


def test_network_path(expectation, facts):
    """The traffic leaves through the expected interface."""
    assert_check(checks.network.path(expectation, facts.network, facts.route_lookups))


def test_network_no_leak(expectation, facts):
    """With the tunnel down, the traffic is dropped rather than leaked."""
    assert_check(checks.network.no_leak(expectation, facts.network))
