"""A shadow copy keeps mitmproxy's own header tuple and body bytes; decoding comes later."""

import gzip

from mitmproxy.test import tflow, tutils

from zhongtai.strangler.handover import reply_parts, request_parts


def test_parts_are_the_flows_own_objects_and_later_header_changes_do_not_reach_them():
    f = tflow.tflow(req=tutils.treq(content=b'{"a": 1}'))
    parts = request_parts(f)
    assert parts.fields is f.request.headers.fields  # taken, not copied
    assert parts.raw_body is f.request.raw_content
    f.request.headers["X-Zhongtai-Served-By"] = "legacy"  # what the proxy does afterwards
    assert b"X-Zhongtai-Served-By" not in dict(parts.fields)
    copy = parts.copy()
    assert (copy.method, copy.path, copy.body) == ("GET", "/path", b'{"a": 1}')
    assert copy.headers["header"] == "qvalue"


def test_an_encoded_body_is_decoded_when_the_copy_is_made():
    raw = gzip.compress(b'{"store_code": "SH0001"}')
    req = tutils.treq(content=raw)
    req.headers["Content-Encoding"] = "gzip"
    req.headers["Content-Type"] = "application/json"
    copy = request_parts(tflow.tflow(req=req)).copy()
    assert copy.body == b'{"store_code": "SH0001"}' and copy.content_type == "application/json"


def test_an_answer_that_does_not_decode_is_compared_as_it_came():
    f = tflow.tflow(resp=tutils.tresp(content=b"not gzip"))
    f.response.headers["content-encoding"] = "gzip"
    f.request.timestamp_end, f.response.timestamp_end = 10.0, 10.25
    reply, ms = reply_parts(f).reply()
    assert reply.status == 200 and reply.body == b"not gzip" and ms == 250.0
    assert reply.headers["content-encoding"] == "gzip"
