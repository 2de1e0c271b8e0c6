"""Whose address a request comes from: the connection's, or the one a named proxy vouches for.

CONSULT_TRUST_PROXY (or `consult handler --trust-proxy`) names one proxy and its one header:
`netlify` reads Netlify's `X-Nf-Client-Connection-Ip`; `x-forwarded-for:N` takes the Nth
address from the right of `X-Forwarded-For` (1 = the one the last proxy appended). Nothing
else is believed, and a value that is not an IP address is ignored: a client that writes
its own header gains no new identity. The same proxy's `X-Forwarded-Proto` says whether the
client reached it over https (`scheme`); without a named proxy the header is ignored.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from consult.errors import ConsultError

TRUST_ENV = "CONSULT_TRUST_PROXY"
NETLIFY_HEADER = "x-nf-client-connection-ip"
FORWARDED_FOR = re.compile(r"^x-forwarded-for:([1-9][0-9]?)$")


@dataclass(frozen=True)
class ProxyTrust:
    header: str = ""  # lower-case header name; '' = believe the connection only
    from_right: int = 1  # which address of a comma-separated list, counted from the right

    def address(self, remote: str, headers: Mapping[str, str]) -> str:
        """The client address: the trusted header's, when it holds one, else the connection's."""
        if not self.header:
            return remote
        hops = [hop.strip() for hop in headers.get(self.header, "").split(",")]
        if len(hops) < self.from_right or not _is_address(hops[-self.from_right]):
            return remote
        return hops[-self.from_right]

    def scheme(self, connection: str, headers: Mapping[str, str]) -> str:
        """'https' when the connection is, or when the named proxy says the client's was (the
        last value of X-Forwarded-Proto: the one that proxy wrote); else the connection's."""
        if connection == "https" or not self.header:
            return connection
        said = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
        return "https" if said == "https" else connection


def parse_trust(spec: str | None) -> ProxyTrust:
    """`netlify`, `x-forwarded-for:N`, or nothing (''/'none'): the connection's address."""
    value = (spec or "").strip().lower()
    if value in ("", "none"):
        return ProxyTrust()
    if value == "netlify":
        return ProxyTrust(NETLIFY_HEADER)
    found = FORWARDED_FOR.match(value)
    if found:
        return ProxyTrust("x-forwarded-for", int(found.group(1)))
    raise ConsultError(f"{TRUST_ENV}={spec!r} is not understood: use 'netlify' (behind Netlify's proxy) or "
                       "'x-forwarded-for:N' (behind your own proxy: N counts from the right the address it "
                       "appends, 1 = the last), or leave it unset when clients reach the handler directly")


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
