"""The staged cutover plan: steps a team reviews, advances and rolls back, guarded by gates.

Pure core: ``plan`` (the plan file's model: steps, route moves, sync switches, gates; the
route stages each step asks for), ``gates`` (observed figures in, verdicts out) and
``planfile`` (reading a plan file, profiles, pinning). Edges: ``store`` (plan state and audit
in the state database), ``observe`` (figures from the proxy, the data comparison and sync),
``moves`` (advance, rollback, and the watch's single tick) and ``watch`` (the loop).
``reference_plan.toml`` is the plan for the reference O2O migration.
"""
