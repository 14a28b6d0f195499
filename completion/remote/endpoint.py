"""Where a remote serving engine is and how to reach it: the settings of the remote backend
(completion/remote/backend.py), kept apart so that reading settings loads no HTTP client."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


def check_url(url: str) -> str:
    """The base URL of a server (`http://host:port`, optionally ending in `/v1`), without a
    trailing slash; ValueError says what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http:// or https:// URL with a host")
    base = url.strip().rstrip("/")
    return base.removesuffix("/v1")


def crosses_network_unencrypted(url: str) -> bool:
    """Plain http:// to a host that is not this machine: code would travel in the clear."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return True


@dataclass(frozen=True)
class RemoteConfig:
    url: str  # base URL, e.g. http://gpu-box:8000 (check_url)
    model: str | None = None  # the served model's name; None: the first the server lists
    api_key_env: str | None = None  # the NAME of the environment variable holding the key
    timeout_s: float = 10.0  # connecting, and silence between streamed chunks

    def warnings(self) -> list[str]:
        if crosses_network_unencrypted(self.url):
            return [
                f"remoteUrl {self.url} is plain http:// to another machine: code crosses the "
                "network unencrypted; use https:// (a TLS proxy in front of the server)"
            ]
        return []


@dataclass(frozen=True)
class Health:
    ok: bool
    message: str  # what the status display says
    # Whether the server has answered yet: until then nothing is known of it, and the status
    # does not say "ready" (a closed port looked ready until the first keystroke).
    answered: bool = True
