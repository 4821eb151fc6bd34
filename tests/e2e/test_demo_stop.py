"""A demo stopped from outside (SIGTERM: a CI timeout, `kill`) stops every process it started.

The services run in sessions of their own, so nothing but the demo's own cleanup stops them;
the test reads their URLs from what the demo printed and checks each port is free after.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from zhongtai.serving import port_is_free


def test_sigterm_stops_every_service_the_demo_started(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    env["COLUMNS"] = "160"
    args = ["demo", "--story", "legacy", "--orders", "200", "--rps", "5", "--duration", "600"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhongtai.cli", "--workspace", str(tmp_path), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen, ports = [], {}
    try:
        for line in proc.stdout:
            seen.append(line)
            found = re.match(r"\s+(channel|legacy)\s+http://([\d.]+):(\d+)", line)
            if found:
                ports[found[1]] = (found[2], int(found[3]))
            if "live traffic" in line:
                break
        assert set(ports) == {"channel", "legacy"}, "".join(seen[-20:])
        assert not any(port_is_free(*where) for where in ports.values())  # they serve
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0, rest[-2000:]
    assert [name for name, where in ports.items() if not port_is_free(*where)] == [], rest[-2000:]


def test_live_traffic_stopped_while_starting_is_no_failed_run(tmp_path: Path):
    from zhongtai.cutover.background import LiveTraffic
    from zhongtai.serving import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    env["ZHONGTAI_WORKSPACE"] = str(tmp_path)
    target = f"http://127.0.0.1:{free_port('127.0.0.1')}"  # nothing answers there
    traffic = LiveTraffic(env, tmp_path / "logs", target, rps=5).start()
    traffic.stop()  # at once: the child is still importing, before its SIGTERM handler
    assert traffic.runs, "the first run had started"
    assert [run.failure for run in traffic.runs if run.failure] == []
    assert traffic.totals()["requests"] == 0
