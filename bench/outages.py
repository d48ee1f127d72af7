"""Outage figures (issue 12): a 30 s load of readers and writers while one dependency fails.

    .venv/bin/python bench/outages.py              # all three, prints the table
    OUTAGE_SECONDS=20 .venv/bin/python bench/outages.py redis

Everything runs on this machine and is the script's own: a PostgreSQL cluster (initdb, run as
the postgres user), a Redis with its append-only file (broker and cache), gunicorn as
deploy/gunicorn.conf.py, one Celery worker on both queues, a local page server for the sources
writers add. Readers GET the home page and the public API; writers POST a source (a database
write and a capture task). At 8 s one disruption: Redis killed and restarted 3 s later,
PostgreSQL restarted (fast), or the worker SIGKILLed and restarted 3 s later (as a supervisor
would). Then: errors served during and after, seconds until requests succeed again, writes
acknowledged (201) but missing afterwards, and captures never done (before and after the
capture-missing sweep that beat runs every 10 minutes).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/http.py would shadow
# the standard library's http package.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import closing, suppress  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("OUTAGE_SECONDS", "30"))
DISRUPT_AT = 8.0
READERS, WRITERS = 4, 2
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {timeout:g} s for {what}")
        time.sleep(0.2)


def pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Postgres:
    def __init__(self, base: Path):
        self.dir, self.port = base / "pg", free_port()
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", str(self.dir), "-A", "trust", "-U",
                          "postgres", quiet=True)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/newsroom_outage"

    def _as_postgres(self, *argv, quiet=False):
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True,
                       stdout=subprocess.DEVNULL if quiet else None,
                       stderr=subprocess.DEVNULL if quiet else None)

    def ctl(self, *args: str) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir, "-w", "-l", self.dir / "log",
                          "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1", *args,
                          quiet=True)

    def start(self) -> None:
        self.ctl("start")
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-qc", "CREATE DATABASE newsroom_outage"], check=True)

    def stop(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.ctl("stop", "-m", "immediate")


class Redis:
    def __init__(self, base: Path):
        self.dir, self.port, self.process = base / "redis", free_port(), None
        self.dir.mkdir()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(lambda: pong(self.port), "redis-server")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        body = b"<title>Outage fixture</title><p>Cargo rose 4% in March.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def spawn(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def end(process: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


class Load:
    """Reader and writer threads; every request's (time, kind, ok, detail) is kept."""

    def __init__(self, base: str, token: str, pages: str):
        self.base, self.token, self.pages = base, token, pages
        self.records: list[tuple[float, str, bool, str]] = []
        self.created: list[str] = []  # keys of sources the API acknowledged (201)
        self.stop = threading.Event()
        self.t0 = 0.0
        self.n = 0
        self.lock = threading.Lock()

    def _request(self, kind: str, req: urllib.request.Request) -> None:
        started = time.monotonic() - self.t0
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                body = response.read()
                ok, detail = True, str(response.status)
                if kind == "write":
                    self.created.append(json.loads(body)["key"])
        except urllib.error.HTTPError as exc:
            ok, detail = False, str(exc.code)
        except OSError as exc:
            ok, detail = False, type(exc).__name__
        self.records.append((started, kind, ok, detail))

    def reader(self, number: int) -> None:
        paths = ["/", "/api/v1/public/stories/"]
        while not self.stop.is_set():
            self._request("read", urllib.request.Request(self.base + paths[number % 2]))
            number += 1

    def writer(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                self.n += 1
                n = self.n
            body = json.dumps({"key": f"outage-{n}", "title": f"Outage source {n}",
                               "url": f"{self.pages}/page/{n}"}).encode()
            self._request("write", urllib.request.Request(
                self.base + "/api/v1/sources/", data=body, method="POST",
                headers={"Content-Type": "application/json",
                         "Authorization": f"Token {self.token}"}))
            time.sleep(0.05)

    def run(self, seconds: float, disrupt) -> float:
        threads = [threading.Thread(target=self.reader, args=(i,)) for i in range(READERS)]
        threads += [threading.Thread(target=self.writer) for _ in range(WRITERS)]
        self.t0 = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(DISRUPT_AT)
        disrupted = time.monotonic() - self.t0
        disrupt()
        restored = time.monotonic() - self.t0
        time.sleep(max(0.0, seconds - (time.monotonic() - self.t0)))
        self.stop.set()
        for thread in threads:
            thread.join(15)
        return disrupted, restored


def figures(load: Load, disrupted: float, restored: float) -> dict:
    """During: from the disruption until the dependency is back; after: from then to the end.
    Recovery: from the disruption to the last failed request."""
    records = sorted(load.records)
    failures = [r for r in records if not r[2] and r[0] >= disrupted]
    return {
        "requests": len(records),
        "errors before": sum(1 for r in records if not r[2] and r[0] < disrupted),
        "errors during": sum(1 for r in failures if r[0] <= restored),
        "errors after": sum(1 for r in failures if r[0] > restored),
        "recovery s": round(max(r[0] for r in failures) - disrupted, 1) if failures else 0.0,
        "error kinds": sorted({r[3] for r in failures}),
    }


def main(which: list[str]) -> int:
    if PG_BIN is None or shutil.which("redis-server") is None:
        print("needs PostgreSQL's binaries and redis-server", file=sys.stderr)
        return 2
    rows = []
    for kind in which:
        base = Path(tempfile.mkdtemp(prefix=f"newsroom-outage-{kind}-"))
        shutil.chown(base, "postgres", "postgres")
        base.chmod(0o755)
        rows.append((kind, one_run(kind, base)))
    print(f"\n| disruption at 8 s of a {SECONDS:g} s load | requests | errors during "
          "(kinds) | errors after it is back | seconds to recover "
          "| acknowledged writes lost | captures lost (before sweep → after) |")
    print("|---|---|---|---|---|---|---|")
    for kind, f in rows:
        kinds = ", ".join(f["error kinds"]) or "-"
        print(f"| {kind} | {f['requests']:,} | {f['errors during']} ({kinds}) "
              f"| {f['errors after']} | {f['recovery s']} | {f['writes lost']} of "
              f"{f['writes']} | {f['captures lost']} → {f['captures lost after sweep']} |")
    return 0


def one_run(kind: str, base: Path) -> dict:
    pg, redis = Postgres(base), Redis(base)
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    web = worker = None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_",
                                                                     "REDIS_", "DJANGO_"))}
    port = free_port()
    env.update({
        "DJANGO_SETTINGS_MODULE": "newsroom.settings", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_LOG_LEVEL": "ERROR",
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
        "AUDIT_CHECKPOINT_PATH": str(base / "checkpoints.jsonl"),
        # Any 32 random bytes are an Ed25519 private key.
        "TRANSPARENCY_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "NEWSROOM_THROTTLE_ANON": "1000000/second", "NEWSROOM_THROTTLE_USER": "1000000/second",
        "DATABASE_URL": pg.url, "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/1",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "SOURCE_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{port}",
    })
    try:
        pg.start()
        redis.start()
        for command in (["migrate"], ["collectstatic", "--noinput"]):
            subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env,
                           check=True)
        token = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c",
             "from django.contrib.auth.models import Group, User; "
             "from rest_framework.authtoken.models import Token; "
             "u = User.objects.create_user('loadwriter', password='x' * 20); "
             "u.groups.add(Group.objects.get(name='Writers')); "
             "print(Token.objects.create(user=u).key)"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
        web = spawn([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "newsroom.wsgi"],
                    env, base / "gunicorn.log")
        start_worker = lambda: spawn(  # noqa: E731
            [sys.executable, "-m", "celery", "-A", "newsroom", "worker", "--concurrency=2",
             "-Q", "celery,captures", "--loglevel=WARNING"], env, base / "worker.log")
        worker = start_worker()
        url = f"http://127.0.0.1:{port}"
        wait(lambda: _ok(url + "/healthz"), "gunicorn")
        load = Load(url, token, f"http://127.0.0.1:{page_server.server_port}")

        def disrupt():
            nonlocal worker
            if kind == "redis":
                redis.kill()
                time.sleep(3)
                redis.start()
            elif kind == "postgres":
                pg.ctl("restart", "-m", "fast")
            elif kind == "worker":
                end(worker, signal.SIGKILL)
                time.sleep(3)
                worker = start_worker()

        disrupted, restored = load.run(SECONDS, disrupt)
        result = figures(load, disrupted, restored)
        result.update(_losses(env, load.created))
        return result
    finally:
        end(web)
        end(worker)
        redis.kill()
        pg.stop()
        page_server.shutdown()


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _count(env: dict, expression: str) -> int:
    out = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c",
                          f"from sources.models import Source; print({expression})"],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


def _losses(env: dict, created: list[str]) -> dict:
    ids = sorted(created)
    present = _count(env, f"Source.objects.filter(key__in={ids!r}).count()")
    missing = f"Source.objects.filter(key__in={ids!r}, snapshots__isnull=True).count()"
    deadline = time.monotonic() + 60
    while _count(env, missing) and time.monotonic() < deadline:
        time.sleep(2)  # the queue drains
    lost = _count(env, missing)
    subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c",
                    "from sources.tasks import capture_missing; "
                    "capture_missing.delay(older_than=0)"], cwd=ROOT, env=env, check=True)
    deadline = time.monotonic() + 60
    while _count(env, missing) and time.monotonic() < deadline:
        time.sleep(2)
    return {"writes": len(ids), "writes lost": len(ids) - present, "captures lost": lost,
            "captures lost after sweep": _count(env, missing)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["redis", "postgres", "worker"]))
