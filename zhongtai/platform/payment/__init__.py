"""支付中心 payment center: payments collected per order and channel, refunds, notifies.

It records what the application layer tells it (a payment was requested, a channel notify
arrived, a refund was applied for or settled) and enforces the money rules: notifies are
idempotent per ``out_trade_no``/``transaction_id``, an amount mismatch changes nothing, and no
order is refunded beyond what was paid. It calls no channel and no other center.
"""
