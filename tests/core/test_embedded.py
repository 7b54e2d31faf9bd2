"""The embedded PostgreSQL and Valkey of a checkout without DATABASE_URL / REDIS_URL (oms/embedded.py).

Each test uses its own var/ directory and real processes: clients are separate Python processes
that call ensure_running, exactly like manage.py, the Celery worker or pytest do through the settings.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from oms import embedded

ROOT = Path(__file__).resolve().parents[2]
GRACE = "1"

CLIENT = textwrap.dedent(
    """
    import sys, time
    import psycopg, redis
    from oms import embedded

    layout = embedded.ensure_running(sys.argv[1])
    with psycopg.connect(host=str(layout.pg_socket_dir), user="postgres", dbname="oms", autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS visits (n int)")
        conn.execute("INSERT INTO visits VALUES (1)")
        visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    r = redis.Redis.from_url(embedded.redis_url(layout))
    r.incr("visits")
    print(visits, int(r.get("visits")), flush=True)
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
    """
)


def _client(var: Path, linger: float = 0.0) -> subprocess.Popen:
    env = {**os.environ, "OMS_EMBEDDED_GRACE_SECONDS": GRACE, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(var), str(linger)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, text=True,
    )


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""


def _servers(var: Path) -> list[psutil.Process]:
    """Every live process (supervisor, postgres and its workers, valkey) that belongs to this var/."""
    found = []
    for proc in psutil.process_iter():
        cmdline = _cmdline(proc)
        if str(var) in cmdline and ("oms.embedded" in cmdline or "postgres" in cmdline or "valkey" in cmdline):
            found.append(proc)
    for proc in [p for p in found if "postgres -D" in _cmdline(p)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            found.extend(proc.children(recursive=True))
    return [p for p in found if _live(p)]


def _live(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture
def var(tmp_path_factory):
    # Short path: Unix socket paths are limited to 107 bytes.
    path = tmp_path_factory.mktemp("emb")
    yield path
    for proc in _servers(path):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def test_a_client_starts_real_servers_that_stop_when_it_has_gone(var):
    client = _client(var)
    out, err = client.communicate(timeout=120)

    assert client.returncode == 0, err
    assert out.split() == ["1", "1"]
    assert _wait_until(lambda: not _servers(var)), "servers still running after the last client left"
    assert not (var / "embedded" / "ready").exists()


def test_a_second_run_in_the_same_checkout_reuses_the_data(var):
    first = _client(var)
    first.communicate(timeout=120)
    assert _wait_until(lambda: not _servers(var))

    second = _client(var)
    out, err = second.communicate(timeout=120)

    assert second.returncode == 0, err
    assert out.split() == ["2", "2"]  # the PostgreSQL row and the Redis key both survived the restart


def test_servers_stay_up_while_any_client_lives_and_one_supervisor_serves_them_all(var):
    clients = [_client(var, linger=6) for _ in range(3)]

    # Clients arriving together may each spawn a supervisor; all but the one that serves step back.
    def one_supervisor() -> bool:
        return len([p for p in _servers(var) if "oms.embedded" in _cmdline(p)]) == 1

    assert _wait_until(lambda: (var / "embedded" / "ready").exists() and one_supervisor(), timeout=60)
    for client in clients:
        out, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
        assert out.split()[0] in {"1", "2", "3"}
    assert _wait_until(lambda: not _servers(var))


def test_a_killed_client_leaves_no_server_behind(var):
    client = _client(var, linger=60)
    assert _wait_until(lambda: (var / "embedded" / "ready").exists(), timeout=120)
    client.send_signal(signal.SIGKILL)
    client.wait()

    assert _wait_until(lambda: not _servers(var)), "a crashed client left the servers running"


def test_a_killed_supervisor_takes_its_servers_with_it(var):
    client = _client(var, linger=60)
    assert _wait_until(lambda: (var / "embedded" / "ready").exists(), timeout=120)
    supervisor = int((var / "embedded" / "ready").read_text())

    os.kill(supervisor, signal.SIGKILL)

    assert _wait_until(lambda: not [p for p in _servers(var) if p.pid != client.pid]), "orphaned servers"
    client.kill()
    client.wait()


def test_settings_helpers_name_the_sockets():
    layout = embedded.Layout(Path("/srv/shop/var"))

    assert embedded.database_settings(layout)["HOST"] == "/srv/shop/var/embedded/run/pg"
    assert embedded.redis_url(layout, 3) == "unix:///srv/shop/var/embedded/run/valkey.sock?db=3"
    assert embedded.broker_url(layout) == "redis+socket:///srv/shop/var/embedded/run/valkey.sock?virtual_host=0"
    deep = embedded.Layout(Path("/" + "d" * 120))
    assert len(str(deep.redis_socket)) < 100  # a short directory when var/ is too deep for a socket
