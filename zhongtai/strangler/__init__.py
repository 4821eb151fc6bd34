"""The strangler proxy: moves traffic route by route from legacy to the platform.

Pure core: ``routes`` (table, matching), ``stages`` (transitions), ``keys`` (sticky keys),
``bucketing`` (canary hash), ``storekeys`` (store identifiers → store code), ``comparison``
and ``noise`` (shadow diffs), ``signing`` (control headers), ``figures`` and ``gates``. Edges:
``state``, ``records`` and ``storekeys_db`` (state database), ``storekeys_source`` (the store
list over HTTP), the mitmproxy addons (``guard``, ``metrics``, ``router``, ``shadow``,
``control``, ``storekeys_sync``) and ``proxy`` (the embedded lean Master, workers).
"""
