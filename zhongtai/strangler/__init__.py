"""The strangler proxy: moves traffic route by route from legacy to the platform.

Pure core: ``routes`` (table, matching), ``stages`` (transitions), ``keys`` (sticky keys),
``bucketing`` (canary hash), ``comparison`` and ``noise`` (shadow diffs), ``signing``
(control headers), ``figures`` and ``gates``. Edges: ``state`` and ``records`` (state
database), the mitmproxy addons (``guard``, ``metrics``, ``router``, ``shadow``, ``control``)
and ``proxy`` (the embedded lean Master, workers).
"""
