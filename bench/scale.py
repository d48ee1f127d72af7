"""The archive benchmark: every page, command and sweep at 1,000 and at 100,000 stories.

    .venv/bin/python bench/scale.py                      # both sizes, writes results-scale.md
    SCALE_SIZES=1000 .venv/bin/python bench/scale.py     # one size (a quick look)
    SCALE_REUSE=1 .venv/bin/python bench/scale.py        # measure again, keep the loaded data
    .venv/bin/python bench/scale.py --prepare            # load only (then SCALE_REUSE=1)

Each size gets its own PostgreSQL database (nr_scale_1k, nr_scale_100k on SCALE_POSTGRES_URL,
default postgres://postgres@127.0.0.1:5432; SCALE_DB_PREFIX renames them), migrated, then filled
by bench.scale_data with COPY in a child process (DEBUG off). `verify_audit` runs as its own
process per archive (wall and CPU time, peak RSS; stopped after SCALE_VERIFY_SECONDS). Pages are
measured in one more child that switches its connection between the archives page by page and
round by round (SCALE_ROUNDS), so a busy machine slows each size alike. Requests go through
Django's test client: "warm" repeats a request with the caches filled (SCALE_WARM a round);
"cold" clears Django's cache before each request (SCALE_COLD). PostgreSQL's own buffers stay
warm in both: this machine's server is shared. Every page also reports its query count and
whether its plans use a sequential scan of a large table (EXPLAIN of each query it ran). Last, a
time-boxed link sweep (SCALE_SWEEP_SECONDS) against a local HTTP server, with a reader loading a
story page meanwhile. SCALE_SKIP_VERIFY=1 reuses the last verify_audit figures.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

PG_SERVER = os.environ.get("SCALE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DB_PREFIX = os.environ.get("SCALE_DB_PREFIX", "nr_scale")  # one's own archives on a shared server
SIZES = [int(s) for s in os.environ.get("SCALE_SIZES", "1000,100000").split(",")]
REUSE = os.environ.get("SCALE_REUSE", "") == "1"
# Requests a round, each archive: 60 warm samples a page, so one collector pause is not the p95.
WARM = int(os.environ.get("SCALE_WARM", "20"))
COLD = int(os.environ.get("SCALE_COLD", "3"))
ROUNDS = int(os.environ.get("SCALE_ROUNDS", "3"))
SWEEP_SECONDS = float(os.environ.get("SCALE_SWEEP_SECONDS", "20"))
SKIP_VERIFY = os.environ.get("SCALE_SKIP_VERIFY", "") == "1"  # reuse the last verify figures
VERIFY_SECONDS = float(os.environ.get("SCALE_VERIFY_SECONDS", "1200"))
RESULTS = ROOT / "bench" / "results-scale.md"
STATE = Path(tempfile.gettempdir()) / "newsroom-scale"
# Tables whose sequential scan is a defect at this size (rows in the 100,000-story archive).
LARGE_TABLES = ("stories_story", "stories_revision", "stories_claim", "audit_event",
                "sources_source", "sources_linkcheck", "stories_storysource",
                "stories_story_authors", "stories_review", "sources_snapshot")


def label(stories: int) -> str:
    return f"{stories // 1000}k" if stories % 1000 == 0 else str(stories)


def database_name(stories: int) -> str:
    return f"{DB_PREFIX}_{label(stories)}"


def keys_for(name: str) -> dict[str, str]:
    """Audit keys kept beside the database they sealed, so a reused archive still verifies."""
    STATE.mkdir(exist_ok=True)
    path = STATE / f"{name}.keys.json"
    if path.exists():
        return json.loads(path.read_text())
    out = subprocess.run([sys.executable, "manage.py", "audit_keygen"], cwd=ROOT, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "DJANGO_DEBUG": "1"}).stdout
    keys = dict(line.split("=", 1) for line in out.split() if "=" in line)
    keys["AUDIT_HMAC_KEY"] = secrets.token_urlsafe(40)
    keys["AUDIT_CHECKPOINT_PATH"] = str(STATE / f"{name}.checkpoints")
    path.write_text(json.dumps(keys))
    return keys


def environment(name: str) -> dict[str, str]:
    env = {**os.environ, **keys_for(name)}
    env.update({
        "DATABASE_URL": f"{PG_SERVER}/{name}", "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "NEWSROOM_THROTTLE_ANON": "1000000/second", "NEWSROOM_THROTTLE_USER": "1000000/second",
        "DJANGO_LOG_LEVEL": "ERROR", "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "SOURCE_FETCH_ALLOW_PRIVATE": "1",
    })
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def prepare(stories: int) -> dict | None:
    """Make and fill the database (unless reused); the load's figures, or None if reused."""
    import psycopg

    name = database_name(stories)
    marker = STATE / f"{name}.loaded.json"
    if REUSE and marker.exists():
        # Migrations added since the load (an index, say) still apply to the loaded archive.
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                       env=environment(name), check=True)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                       cwd=ROOT, env=environment(name), check=True)
        return json.loads(marker.read_text())
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    (STATE / f"{name}.checkpoints").unlink(missing_ok=True)
    env = environment(name)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, __file__, "--load", str(stories)], cwd=ROOT, env=env,
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    marker.write_text(json.dumps(loaded))
    return loaded


def verify(stories: int) -> dict:
    """`manage.py verify_audit` in its own process: events per second, its own CPU time and
    peak memory (os.wait4 reports that one child's rusage), and the load average meanwhile."""
    env = environment(database_name(stories))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen([sys.executable, "manage.py", "verify_audit"], cwd=ROOT,
                                 env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        stopped = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > VERIFY_SECONDS:
                child.kill()
                stopped = True
            time.sleep(0.2)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().strip().splitlines()[:1]
    seconds = time.perf_counter() - started
    if stopped:
        output = [f"stopped after {VERIFY_SECONDS:.0f} s"]
    return {"ok": child.returncode == 0 and not stopped, "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "output": output,
            "peak_mb": usage.ru_maxrss / 1024,
            "load": [load_before, os.getloadavg()[0]]}


def measure(sizes: list[int]) -> dict:
    """Pages of every archive, measured in one child process taking turns (scale_pages.run)."""
    env = environment(database_name(sizes[0]))
    out = subprocess.run([sys.executable, __file__, "--measure", *map(str, sizes)], cwd=ROOT,
                         env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    if sys.argv[1:2] == ["--load"]:
        return child_load(int(sys.argv[2]))
    if sys.argv[1:2] == ["--measure"]:
        return child_measure([int(s) for s in sys.argv[2:]])
    if sys.argv[1:2] == ["--prepare"]:  # load the archives only, for a later SCALE_REUSE=1 run
        for stories in SIZES:
            step(f"{stories:,} stories: loading {database_name(stories)}")
            step(f"  {prepare(stories)}")
        return 0
    figures = {}
    for stories in SIZES:
        name = database_name(stories)
        step(f"{stories:,} stories: {'reusing or ' if REUSE else ''}loading {name}")
        started = time.monotonic()
        loaded = prepare(stories)
        step(f"  loaded in {time.monotonic() - started:.0f} s: {loaded}")
        saved = STATE / f"{name}.audit.json"
        if SKIP_VERIFY and saved.exists():
            audit = json.loads(saved.read_text())
        else:
            step("  verify_audit")
            audit = verify(stories)
            saved.write_text(json.dumps(audit))
        figures[stories] = {"load": loaded, "audit": audit}
        step(f"  {figures[stories]['audit']}")
    step("pages, every archive in turn")
    for stories, measured in measure(SIZES).items():
        figures[stories].update(measured)
        (STATE / f"{database_name(stories)}.figures.json").write_text(
            json.dumps(figures[stories]))
    from bench.scale_report import write

    text = write(figures, SIZES)
    print(text)
    if len(SIZES) > 1:
        RESULTS.write_text(text)
    return 0


# --- in the child process, with Django set up for one database --------------------------------


def child_load(stories: int) -> int:
    import django

    django.setup()
    from django.conf import settings

    from bench import scale_data

    counts = scale_data.load(stories, hmac_key=settings.AUDIT_HMAC_KEY.encode(),
                             log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(counts))
    return 0


def child_measure(sizes: list[int]) -> int:
    # Loaded as a web worker loads the app (newsroom.wsgi: Django set up, then what start-up
    # made frozen out of the garbage collector's full collections), so requests pay what
    # they pay in production.
    import newsroom.wsgi  # noqa: F401
    from bench import scale_pages

    archives = [(stories, database_name(stories), keys_for(database_name(stories)))
                for stories in sizes]
    figures = scale_pages.run(archives, warm=WARM, cold=COLD, rounds=ROUNDS,
                              sweep_seconds=SWEEP_SECONDS, large=LARGE_TABLES)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
