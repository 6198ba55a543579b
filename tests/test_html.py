import pytest

from boiler.html import decode_html


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "rot13", "base64", "no-such-charset"])
def test_a_declared_charset_that_cannot_decode_falls_back_to_cp1252(charset):
    data = b'<meta charset="' + charset.encode() + b'"><p>caf\xe9</p>'
    assert decode_html(data).endswith("<p>café</p>")


def test_declared_charset_is_used_when_not_utf8():
    assert decode_html('<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")).endswith("<p>Привет</p>")
