"""The network: interfaces, policy routing, NAT, OpenVPN, and where traffic really goes."""

from hwcompat import checks
from hwcompat.testing import assert_check


def test_net_interface(net_interface_expectation, net_facts):
    """The interface exists as the profile describes it."""
    assert_check(checks.net.interface(net_interface_expectation, net_facts))


def test_net_forwarding(net_forwarding_expectation, net_facts):
    """IPv4 forwarding is as the profile says."""
    assert_check(checks.net.forwarding(net_forwarding_expectation, net_facts))


def test_net_rp_filter(net_rp_filter_expectation, net_facts):
    """Reverse-path filtering lets the routed traffic through."""
    assert_check(checks.net.rp_filter(net_rp_filter_expectation, net_facts))


def test_net_rule(net_rule_expectation, net_facts):
    """The policy rule is in place at its priority."""
    assert_check(checks.net.rule(net_rule_expectation, net_facts))


def test_net_route(net_route_expectation, net_facts):
    """The route is in its table."""
    assert_check(checks.net.route(net_route_expectation, net_facts))


def test_net_nat(net_nat_expectation, net_facts):
    """Traffic leaving through the interface is masqueraded."""
    assert_check(checks.net.nat(net_nat_expectation, net_facts))


def test_net_openvpn(net_openvpn_expectation, net_facts):
    """The OpenVPN client is configured as the policy routing needs."""
    assert_check(checks.net.openvpn(net_openvpn_expectation, net_facts))


def test_net_path(net_path_expectation, net_facts, route_lookups):
    """The traffic leaves through the expected interface."""
    assert_check(checks.net.path(net_path_expectation, net_facts, route_lookups))


def test_net_no_leak(net_no_leak_expectation, net_facts):
    """With the tunnel down, the traffic is dropped rather than leaked."""
    assert_check(checks.net.no_leak(net_no_leak_expectation, net_facts))
