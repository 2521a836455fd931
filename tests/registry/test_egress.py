"""Where webhooks may go: the default (public only) and HERON_WEBHOOK_ALLOW."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from heron.errors import InvalidInput
from heron.registry.egress import EgressPolicy


def resolver(*addresses: str) -> object:
    def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


DEFAULT = EgressPolicy()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd00:ec2::254", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.100.100.200", "not a public address"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_the_default_refuses_non_public_addresses(address: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        DEFAULT.check("https://hooks.example.com/x", resolver(address))  # type: ignore[arg-type]


def test_every_resolved_address_must_pass() -> None:
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.1"):
        DEFAULT.check("https://h.example.com/", resolver("93.184.216.34", "10.0.0.1"))  # type: ignore[arg-type]


def test_a_public_address_passes_and_is_pinned() -> None:
    target = DEFAULT.check("https://H.example.com:8443/p?q=1", resolver("93.184.216.34"))  # type: ignore[arg-type]
    assert (target.scheme, target.host, target.port, target.address) == (
        "https",
        "h.example.com",
        8443,
        "93.184.216.34",
    )


def test_literal_metadata_address_is_refused_without_dns() -> None:
    with pytest.raises(InvalidInput, match="link-local"):
        DEFAULT.check("http://169.254.169.254/latest/meta-data/")


def test_an_unresolvable_host_is_refused() -> None:
    def fail(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    with pytest.raises(InvalidInput, match="does not resolve"):
        DEFAULT.check("https://nowhere.invalid/", fail)


def test_allow_list_host_patterns_ports_and_networks() -> None:
    policy = EgressPolicy.parse("*.corp.net:443, 127.0.0.1:8080, 10.0.0.0/8, [::1]:9000")
    public = resolver("93.184.216.34")
    policy.check("https://hooks.corp.net/", resolver("10.9.9.9"))  # type: ignore[arg-type]
    policy.check("http://127.0.0.1:8080/hook")
    policy.check("http://internal:1234/", resolver("10.2.3.4"))  # type: ignore[arg-type]
    policy.check("http://[::1]:9000/")
    with pytest.raises(InvalidInput, match="not in HERON_WEBHOOK_ALLOW"):
        policy.check("https://hooks.corp.net:8443/", resolver("93.184.216.34"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not in HERON_WEBHOOK_ALLOW"):
        policy.check("http://127.0.0.1:8081/")
    with pytest.raises(InvalidInput):  # the list replaces the default: public is not implied
        policy.check("https://example.org/", public)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):  # one address outside the network refuses the host
        policy.check("http://internal:1234/", resolver("10.2.3.4", "192.168.0.1"))  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", ["a b", "host:99999", "host:x", "[::1]:0", "10.0.0.0/33/1"])
def test_bad_allow_entries_are_refused(entry: str) -> None:
    with pytest.raises(InvalidInput, match="HERON_WEBHOOK_ALLOW"):
        EgressPolicy.parse(entry)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "https://",
        "https://user:pw@example.com/",
        "example.com",
        "",
        3,
        "https://exa mple.com/",
        "http://example.com:99999/",
    ],
)
def test_malformed_urls_are_invalid(url: object) -> None:
    with pytest.raises(InvalidInput):
        DEFAULT.check(url, resolver("93.184.216.34"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("2002:7f00:1::", "6to4"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", "6to4"),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo|private"),
        ("fec0::1", "site-local|not a public"),
        ("64:ff9b::7f00:1", "NAT64"),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "NAT64"),  # NAT64 of the metadata service
        ("64:ff9b:1::1", "NAT64"),
        ("::7f00:1", "reserved"),
        ("ff0e::1", "multicast"),
        ("2001:db8::1", "private|not a public"),
    ],
)
def test_the_default_refuses_tunnels_translations_and_every_non_global(
    address: str, why: str
) -> None:
    with pytest.raises(InvalidInput, match=why):
        DEFAULT.check("https://hooks.example.com/x", resolver(address))  # type: ignore[arg-type]


def test_public_ipv6_passes_and_the_allow_list_still_admits_a_tunnel() -> None:
    target = DEFAULT.check("https://h.example.com/", resolver("2606:4700::1111"))  # type: ignore[arg-type]
    assert target.address == "2606:4700::1111"
    policy = EgressPolicy.parse("2002::/16")
    assert policy.check("https://h.example.com/", resolver("2002:7f00:1::")).address  # type: ignore[arg-type]
