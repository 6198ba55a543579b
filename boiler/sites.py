"""The outlet of a page: the registered domain of its URL (``www.dawn.com/news/1`` -> ``dawn.com``;
``x.blogspot.com/2011/...`` -> ``x.blogspot.com``, as the public suffix list's private part has it).

tldextract with the public suffix list it ships: nothing is fetched, so it works offline and gives
the same answer on every machine with the same tldextract.
"""

from __future__ import annotations

import functools

__all__ = ["site_of", "normal_site"]


@functools.cache
def _extractor():
    import tldextract

    # private suffixes count (blogspot.com, github.io, ...): each blog on a blog host is an outlet of its
    # own, with its own template, not one "blogspot.com" for all of them
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def site_of(url: str | None) -> str | None:
    """The registered domain of ``url``, lower case; None when there is none (no URL, an IP address)."""
    if not url:
        return None
    parts = _extractor()(url)
    domain = parts.top_domain_under_public_suffix if hasattr(parts, "top_domain_under_public_suffix") \
        else parts.registered_domain
    return domain.lower() or None


def normal_site(site: str | None) -> str | None:
    """A site as a person or a record gives it, as templates are keyed: a URL or a host name becomes its
    registered domain (``https://www.bbc.co.uk/x``, ``www.bbc.co.uk`` and ``BBC.co.uk`` are all
    ``bbc.co.uk``); a name that is no domain (``dawn``) is kept, lower case. None or blank: None."""
    if site is None or not site.strip():
        return None
    site = site.strip()
    return site_of(site) or site.lower()
