"""mitmproxy's ``body_size_limit`` holds for responses too: it must let every response up to
``proxy.max_response_bytes`` through while still bounding what a chunked request buffers."""

from __future__ import annotations

from mitmproxy.utils import human

from zhongtai.config import ProxySettings
from zhongtai.strangler.proxy import body_size_limit


def test_responses_up_to_the_response_limit_pass_and_requests_stay_bounded():
    small = ProxySettings(max_body_bytes=65_536, max_response_bytes=8_000_000)
    limit = body_size_limit(small)
    assert limit >= 8_000_000  # a legacy answer of 8 MB is not cut to a 502
    assert limit >= 65_536 * 4  # the guard's 413 comes first for request bodies
    assert human.parse_size(str(limit)) == limit  # as mitmproxy reads the option
    big_requests = ProxySettings(max_body_bytes=32_000_000, max_response_bytes=1_000_000)
    assert body_size_limit(big_requests) > 32_000_000
    assert body_size_limit(ProxySettings()) == ProxySettings().max_response_bytes
