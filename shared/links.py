"""Links people open from the web UI and from group messages (manuals, videos, report guides): absolute
http(s) addresses only.

Any other scheme is refused where the link comes in: a `javascript:` link in a release became a link in
every user's announcement, which runs script in the reader's session when clicked. `WebLink` refuses it in
a request body with the rule `url_scheme` (its words in shared/validation.py); `is_web_link` is the same rule
for the domain and for links read back from events."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

SCHEMES = frozenset({"http", "https"})


def is_web_link(url: str) -> bool:
    """An absolute http(s) address with a host and no blank in it."""
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in SCHEMES and bool(parts.netloc)


def _web_link(url: str) -> str:
    if not url or is_web_link(url):
        return url
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise PydanticCustomError(
            "url_scheme", "URL scheme should be 'http' or 'https'", {"expected_schemes": "http, https"}
        )
    raise PydanticCustomError("url_parsing", "not an address with a host and without blanks")


WebLink = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_web_link)
]
# Empty means "no link" (a release's manual, video and guide are each optional).
OptionalWebLink = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_web_link)]
