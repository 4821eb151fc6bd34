from zhongtai.strangler import signing

KEY = "operator-secret"


def test_signed_control_headers_are_honoured_and_then_stripped():
    headers = {
        "Content-Type": "application/json",
        **signing.sign(KEY, "GET", "/api/x?a=1", {signing.SIDE: "platform"}, now=1000),
    }
    v = signing.verify(KEY, "GET", "/api/x?a=1", headers, now=1010)
    assert v.control == {signing.SIDE: "platform"}
    assert set(v.stripped) == {signing.SIDE, signing.TIMESTAMP, signing.SIGNATURE}
    assert "Content-Type" not in v.stripped


def test_unsigned_spoofed_or_tampered_headers_are_stripped_and_ignored():
    spoof = {signing.SHADOW: "dry-run", signing.SIDE: "platform", signing.SERVED_BY: "x"}
    v = signing.verify(KEY, "POST", "/api/pos/orders/ack", spoof, now=1000)
    assert v.control == {} and set(v.stripped) == set(spoof) and "unsigned" in v.reason

    signed = signing.sign(KEY, "POST", "/a", {signing.SIDE: "legacy"}, now=1000)
    tampered = {**signed, signing.SIDE: "platform"}
    assert signing.verify(KEY, "POST", "/a", tampered, now=1000).reason == "bad signature"
    assert signing.verify(KEY, "POST", "/b", signed, now=1000).control == {}  # other path
    assert signing.verify("other-key", "POST", "/a", signed, now=1000).control == {}
    late = signing.verify(KEY, "POST", "/a", signed, now=1000 + signing.MAX_SKEW + 1)
    assert late.control == {} and "off" in late.reason
    assert signing.verify("", "POST", "/a", signed, now=1000).reason == "no operator key configured"


def test_headers_are_case_insensitive_and_clean_requests_pass_untouched():
    signed = signing.sign(KEY, "GET", "/a", {signing.SHADOW: signing.DRY_RUN}, now=5)
    lowered = {k.lower(): v for k, v in signed.items()}
    assert signing.verify(KEY, "GET", "/a", lowered, now=5).control == {
        signing.SHADOW: signing.DRY_RUN
    }
    assert signing.verify(KEY, "GET", "/a", {"Accept": "*/*"}) == signing.Verdict({}, ())


def test_signing_needs_a_key():
    import pytest

    with pytest.raises(ValueError, match="operator_key"):
        signing.sign("", "GET", "/", {signing.SIDE: "legacy"})
