"""The staged cutover plan: steps a team reviews, advances and rolls back, guarded by gates.

Pure core: ``plan`` and ``planfile`` (the plan file: steps, route moves, sync switches,
profiles, pinning), ``gatespec`` (a step's gates as written), ``ladder`` (where the routes
stand at each step), ``evidence`` and ``gates`` (observed figures in, verdicts with their
misses out). Edges: ``store`` (plan state and audit in the state database), ``observe``
(figures from the proxies, the data comparison and sync, over the step's analysis window),
``session`` and ``moves`` (advance, rollback, retry), ``watch`` (the automatic loop),
``operations`` and ``views`` (what the CLI calls and prints). The demo's story lives in
``story`` with its helpers ``background`` (live traffic, sync workers) and
``acked_platform`` (the acknowledged-write log against the platform's centers).
``reference_plan.toml`` is the plan for the reference O2O migration.
"""
