"""The application layer (应用平台 / BFF): the legacy's external API over the centers.

Served at the root of the platform app (``zhongtai serve platform``), next to the centers'
``/centers/<name>`` APIs. It owns no database and calls the centers only over HTTP.

``app``          mounts it: routers, legacy error bodies, the edge (body limit, shadow marker)
``edge``         ``X-Zhongtai-Shadow: dry-run`` → every center call of the request is a dry run
``calls``        the pooled aiohttp client for center calls
``context``      the per-process :class:`~.context.Gateway` (pool, caches, pull cursors)
``cache``        short-lived cache of reference data (stores, SKU mappings, members)
``legacy_format`` center shapes → legacy rows and renderings (statuses, yuan, local times)
``intake``       legacy takeout orders → order-center commands (fen that add up)
``stores`` ``catalog`` ``orders`` ``refunds``   one center each, in the legacy's words
``channels`` ``pushes`` ``pull``                 外卖同步服务: pushes and compensation pulls
``miniapp`` ``placing`` ``payment`` ``aftersale`` 小程序服务端: orders, notifies, cancel/refund
``pos``          POS服务 (frozen contract)
``admin``        订单管理后台: order search, ERP product import

The legacy contract's pure codecs (request parsers, bodies, error envelopes, the POS and
mini-program renderers in ``zhongtai.legacy``) are reused so the bytes cannot drift; the
legacy's database and app are never touched.
"""
