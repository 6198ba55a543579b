"""The outlet of a page: the registered domain of its URL (``www.dawn.com/news/1`` -> ``dawn.com``).

tldextract with the public suffix list it ships: nothing is fetched, so it works offline and gives
the same answer on every machine with the same tldextract.
"""

from __future__ import annotations

import functools

__all__ = ["site_of"]


@functools.cache
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def site_of(url: str | None) -> str | None:
    """The registered domain of ``url``, lower case; None when there is none (no URL, an IP address)."""
    if not url:
        return None
    parts = _extractor()(url)
    domain = parts.top_domain_under_public_suffix if hasattr(parts, "top_domain_under_public_suffix") \
        else parts.registered_domain
    return domain.lower() or None
