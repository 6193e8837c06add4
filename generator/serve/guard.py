"""Safety pieces with no HTTP in them: per-token rate limits, CSRF tokens, the headers every response carries."""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field

# No inline script or style anywhere: KaTeX, the app's script and its stylesheet all come from /static.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # a page's address holds its secret token: never send it on
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
SECRET_PATH = re.compile(r"^/([si])/[^/]+")


def redact(path: str) -> str:
    """A request path fit for a log: the token of /s/<token>/… and /i/<token>/… replaced by '…'."""
    return SECRET_PATH.sub(r"/\1/…", path)


@dataclass
class RateLimit:
    """A token bucket per key: `rate` requests a second on average, bursts of `burst`."""

    rate: float
    burst: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead (and it is counted), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        level, then = self.buckets.get(key, (self.burst, now))
        level = min(self.burst, level + (now - then) * self.rate)
        if level >= 1:
            self.buckets[key] = (level - 1, now)
            return 0.0
        self.buckets[key] = (level, now)
        return (1 - level) / self.rate


def csrf_token(key: str, purpose: str, token: str) -> str:
    """The hidden form field for a form of one page (the page's secret token and the form's purpose)."""
    return hmac.new(key.encode(), f"{purpose}\0{token}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def csrf_ok(key: str, purpose: str, token: str, given: str) -> bool:
    """Whether a form's CSRF field is the one its page was given (compared in constant time)."""
    return hmac.compare_digest(csrf_token(key, purpose, token), given.encode("ascii", "replace").decode())
