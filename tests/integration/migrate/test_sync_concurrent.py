"""Backfill and sync while live traffic writes to legacy: nothing is lost.

Capture is installed first; then the legacy app (a child process) takes traffic from the
workload generator while the backfill runs and a syncer follows the change log in a thread.
When the traffic and the backfill are done, the syncer drains the log and every center table
must equal legacy passed through the mappings, row for row.
"""

from __future__ import annotations

import dataclasses
import threading

from tests.integration.migrate.sync_support import Background, diff_centers
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import install_capture
from zhongtai.migrate.status import migrate_status
from zhongtai.migrate.sync import ForwardSyncer
from zhongtai.migrate.syncloop import run
from zhongtai.serving import ServiceProcess, free_port
from zhongtai.workload.traffic import run_traffic


def test_traffic_during_backfill_and_sync_loses_nothing(migrate_env, tmp_path):
    channel_port = free_port()
    # The traffic generator deposits lost pushes where legacy will pull them from.
    base = migrate_env.settings
    legacy_settings = dataclasses.replace(
        base.legacy, channel_api=f"http://127.0.0.1:{channel_port}"
    )
    settings = dataclasses.replace(base, legacy=legacy_settings)
    install_capture(settings)
    env = dict(
        migrate_env.env,
        ZHONGTAI_LEGACY_CHANNEL_API=f"http://127.0.0.1:{channel_port}",
        ZHONGTAI_WORKSPACE=str(tmp_path / "ws"),
    )
    logs = tmp_path / "logs"
    stop = threading.Event()
    outcomes = []
    # As `migrate sync --follow --refresh 1` runs: merge facts rebuilt at most every second.
    syncer = ForwardSyncer(settings, batch=100, refresh_every=1.0)
    try:
        with (
            ServiceProcess("channel", port=channel_port, env=env, log_dir=logs),
            ServiceProcess("legacy", port=free_port(), env=env, log_dir=logs) as legacy,
        ):
            traffic = Background(
                lambda: run_traffic(settings, target=legacy.url, rps=40, duration=6, seed=3)
            )
            follower = Background(
                lambda: run(syncer, follow=True, poll=0.05, stop=stop, on_batch=outcomes.append)
            )
            traffic.start()
            follower.start()
            backfill(settings, chunk_size=40)
            summary = traffic.join_checked()
        stop.set()
        follower.join_checked()
        final = run(syncer)  # drain what the last requests wrote
    finally:
        stop.set()
        syncer.close()

    assert summary.errors == 0, summary.error_samples
    assert summary.acked_writes > 30
    changes = sum(o.changes for o in outcomes) + final.changes
    assert changes > summary.acked_writes  # every acked write fired at least one trigger
    # The follower started while mappings were still being backfilled: it had to wait.
    assert sum(sum(o.deferred.values()) for o in outcomes) > 0
    assert final.backlog.count == 0
    diff = diff_centers(settings)
    assert diff.clean, diff.summary()
    statuses = {s.name: s for s in migrate_status(settings)}
    assert statuses["orders"].sync_lag_seconds == 0.0
