import pytest

from boiler.sites import normal_site, site_of


@pytest.mark.parametrize("url, site", [
    ("https://www.dawn.com/news/1", "dawn.com"),
    ("http://news.bbc.co.uk/2/hi/uk_news/1.stm", "bbc.co.uk"),
    ("HTTPS://WWW.Asiaplustj.INFO/ru/news", "asiaplustj.info"),
    ("http://10qdetective.blogspot.com/2011/05/x.html", "10qdetective.blogspot.com"),  # a blog host's blogs apart
    ("https://someone.github.io/post", "someone.github.io"),
    ("http://192.168.0.1/page", None),
    ("", None),
    (None, None),
])
def test_site_of_a_url_is_its_registered_domain(url, site):
    assert site_of(url) == site


@pytest.mark.parametrize("given, site", [
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("BBC.co.uk", "bbc.co.uk"),
    ("https://www.bbc.co.uk/news", "bbc.co.uk"),
    ("dawn", "dawn"),  # a name that is no domain is kept
    ("rivertown-herald.example", "rivertown-herald.example"),
    ("  ", None),
    (None, None),
])
def test_a_given_site_is_keyed_as_templates_are(given, site):
    assert normal_site(given) == site
