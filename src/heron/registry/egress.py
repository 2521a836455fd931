"""Where webhooks may send requests: ``HERON_WEBHOOK_ALLOW`` and the default policy.

A webhook URL is user input that makes the server open a connection, so it is checked
like one (SSRF). The host is resolved and *every* address it resolves to is checked;
the request then goes to the checked address (the name is not resolved again, so a
DNS answer that changes in between cannot slip a private address in), and redirects
are never followed.

Default (``HERON_WEBHOOK_ALLOW`` unset): only public addresses, those
``ipaddress.ip_address(a).is_global`` calls global. Loopback, private (10/8,
172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10, home of cloud
metadata services such as 169.254.169.254), shared (100.64/10), multicast and
reserved addresses are refused; so are the IPv6 ranges that carry or translate to an
IPv4 address (which could be a private one) or that older Pythons call global: 6to4
(2002::/16), Teredo (2001::/32), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), site-local
(fec0::/10); IPv4-mapped addresses are checked as the IPv4 address.

With ``HERON_WEBHOOK_ALLOW`` set (a comma-separated list), a target is allowed only
when an entry matches it; the list replaces the default. Entries:

- ``hooks.example.com``, ``*.example.com``, ``hooks.example.com:8443``: host name
  patterns (shell-style ``*``), optionally with the one port allowed;
- ``10.1.2.3``, ``10.0.0.0/8``, ``[::1]:9000``, ``127.0.0.1:8080``: addresses or
  networks (CIDR), optionally with a port: every resolved address must lie inside.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from heron.errors import InvalidInput

if TYPE_CHECKING:  # imported by the first delivery: checking a URL needs no HTTP client
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class Rule:
    host: str | None = None  # a lower-case fnmatch pattern
    network: IPNetwork | None = None
    port: int | None = None

    def matches(self, host: str, port: int, addresses: Sequence[IPAddress]) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return fnmatch.fnmatchcase(host, self.host)
        assert self.network is not None
        return all(_in(a, self.network) for a in addresses)


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the address the request must go to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str  # connect here, not to whatever ``host`` resolves to later


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    rules: tuple[Rule, ...] = ()  # empty: the default policy (public addresses only)

    @classmethod
    def parse(cls, text: str | None) -> EgressPolicy:
        """The policy from ``HERON_WEBHOOK_ALLOW`` (InvalidInput for a bad entry)."""
        entries = [e.strip() for e in (text or "").replace("\n", ",").split(",")]
        return cls(tuple(_rule(e) for e in entries if e))

    def check(self, url: str, resolver: Resolver = resolve) -> Target:
        """The target to connect to; InvalidInput when the URL may not be called
        (refused by the policy, or malformed)."""
        scheme, host, port = parse_url(url)
        try:
            found = resolver(host, port)
        except OSError as exc:
            raise InvalidInput(f"webhook host {host!r} does not resolve: {exc}") from None
        addresses = [_address(a) for a in found]
        if not addresses:
            raise InvalidInput(f"webhook host {host!r} resolves to no address")
        if self.rules:
            if not any(rule.matches(host, port, addresses) for rule in self.rules):
                raise InvalidInput(
                    f"webhook target {host}:{port} is not in HERON_WEBHOOK_ALLOW; "
                    "an admin can add it there"
                )
        else:
            for address in addresses:
                problem = _not_public(address)
                if problem:
                    raise InvalidInput(
                        f"webhook target {host} resolves to {address}, {problem}: refused "
                        "by default; allow it explicitly with HERON_WEBHOOK_ALLOW"
                    )
        return Target(url, scheme, host, port, str(addresses[0]))


def parse_url(url: object) -> tuple[str, str, int]:
    """(scheme, lower-case host, port) of an http(s) URL; InvalidInput otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"a webhook URL is an http(s) URL of at most {MAX_URL_LENGTH} chars")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"webhook URL {url!r} is not valid: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"webhook URL {url!r} must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise InvalidInput("webhook URLs may not carry credentials; sign with the secret instead")
    if any(ord(c) < 33 for c in url):
        raise InvalidInput(f"webhook URL {url!r} contains spaces or control characters")
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port or default


def _rule(entry: str) -> Rule:
    host, port = entry, None
    if entry.startswith("["):  # [v6] or [v6]:port
        inside, _, rest = entry[1:].partition("]")
        host = inside
        if rest:
            port = _port(rest.removeprefix(":"), entry)
    elif entry.count(":") == 1:
        host, _, text = entry.partition(":")
        port = _port(text, entry)
    try:
        return Rule(network=ipaddress.ip_network(host, strict=False), port=port)
    except ValueError:
        pass
    if not host or "/" in host or any(c.isspace() for c in host):
        raise InvalidInput(
            f"HERON_WEBHOOK_ALLOW entry {entry!r} is neither a host pattern nor an address "
            "or CIDR network (examples: hooks.example.com, *.corp.net:443, 10.0.0.0/8)"
        )
    return Rule(host=host.lower(), port=port)


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InvalidInput(f"HERON_WEBHOOK_ALLOW entry {entry!r} has a bad port")
    return int(text)


def _address(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop a v6 zone id
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _in(address: IPAddress, network: IPNetwork) -> bool:
    return address.version == network.version and address in network


_TUNNELS = tuple(
    (ipaddress.IPv6Network(net), label)
    for net, label in (
        ("2002::/16", "a 6to4 address (it tunnels to an IPv4 address)"),
        ("2001::/32", "a Teredo address (it tunnels to an IPv4 address)"),
        ("64:ff9b::/96", "a NAT64 address (it translates to an IPv4 address)"),
        ("64:ff9b:1::/48", "a local NAT64 address (it translates to an IPv4 address)"),
        ("fec0::/10", "a site-local address"),
    )
)


def _not_public(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        for network, tunnel in _TUNNELS:
            if address in network:
                return tunnel
    for attribute, label in (
        ("is_unspecified", "the unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address (cloud metadata services live there)"),
        ("is_private", "a private address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, attribute):
            return label
    if not address.is_global:
        return "not a public address"
    return None


DeliveryStatus = Literal["delivered", "retrying", "failed", "refused"]
RETRY_STATUS = frozenset({408, 429})  # worth another attempt, besides 5xx


@dataclass(frozen=True)
class Outcome:
    """How one POST to a hook went: ``retrying`` is worth another attempt."""

    status: DeliveryStatus
    code: int | None = None
    error: str | None = None


def post_checked(
    client: httpx.Client,
    policy: EgressPolicy,
    url: str,
    headers: dict[str, str],
    body: bytes,
) -> Outcome:
    """POST ``body`` to ``url`` once ``policy`` allows it, to the address it checked
    (resolve-then-pin: a DNS answer that changes after the check is not followed),
    with the URL's host name in Host and SNI; redirects are never followed. The one
    delivery step of registry webhooks and alert webhooks."""
    import httpx

    try:
        target = policy.check(url)
    except InvalidInput as exc:
        return Outcome("refused", error=exc.message)
    default = 443 if target.scheme == "https" else 80
    headers["Host"] = target.host if target.port == default else f"{target.host}:{target.port}"
    pinned = httpx.URL(target.url).copy_with(host=target.address)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        response = client.post(pinned, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return Outcome("retrying", error=f"{type(exc).__name__}: {exc}")
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("delivered", code)
    if code >= 500 or code in RETRY_STATUS:
        return Outcome("retrying", code, f"HTTP {code}")
    if 300 <= code < 400:
        return Outcome("failed", code, "redirects are not followed")
    return Outcome("failed", code, f"HTTP {code}")


class DeliveryPool:
    """A few threads that deliver off the caller's path, counting what is pending so
    ``wait`` can block until everything submitted so far is done (tests, shutdown).
    Registry webhooks and alerts both deliver through one."""

    def __init__(self, workers: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._pending = 0
        self._idle = threading.Condition()
        self.closed = False  # True once close began: new work is dropped from then on

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on a pool thread; dropped once the pool is closing."""
        if self.closed:
            return
        with self._idle:
            self._pending += 1
        try:
            self._pool.submit(self._run, fn, *args)
        except RuntimeError:  # the pool shut down meanwhile
            self._done()

    def wait(self, timeout: float | None = None) -> bool:
        """True when nothing is pending (False: timed out)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 30.0) -> bool:
        """Finish what is pending (up to ``timeout``), then stop; False when it was
        already closed."""
        if self.closed:
            return False
        self.closed = True
        self.wait(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        return True

    def _run(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()
