"""订单中心 order center: every order of every channel, its status tracks and handoffs.

Lecture 8's contract: it records orders (header, lines, discount records, status history,
external references), enforces the main status and stores a free sub-status, publishes a fat
event on creation and thin events on change, and answers coarse, medium and fine queries. It
never calls another service, does no third-party integration and computes no discounts.
"""
