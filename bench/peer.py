"""The Wagtail 8 peer in the same run: ../shared/peers/wagtail's setup.sh (venv and site in
/tmp/peer-wagtail, database peer_wagtail) and `bench.sh uncached` (gunicorn, 2 sync workers on a
free port, wrk -t2 -c8, two 10 s rounds of /hello/ and /story/). Run from that folder, which
stays read-only; nothing it fetches or builds lands in this repository."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = Path(os.environ.get("BENCH_PEER_DIR", ROOT.parent / "shared" / "peers" / "wagtail"))
FACTOR = 3.0  # issue 13: our origin story page at least 3x Wagtail's uncached story page


@dataclass(frozen=True)
class Peer:
    """Wagtail's uncached figures (means of its two rounds), or why there are none."""

    hello_rps: float = 0.0
    story_rps: float = 0.0
    versions: str = ""
    note: str = ""


def run() -> Peer:
    if os.environ.get("BENCH_PEER", "1") == "0":
        return Peer(note="skipped (BENCH_PEER=0)")
    if not (PEER / "bench.sh").exists():
        return Peer(note=f"not found: {PEER}")
    env = {**os.environ, "PGHOST": os.environ.get("PGHOST", "127.0.0.1")}
    try:
        setup = subprocess.run(["bash", "setup.sh"], cwd=PEER, env=env, capture_output=True,
                               text=True, timeout=600, check=True)
        out = subprocess.run(["bash", "bench.sh", "uncached"], cwd=PEER, env=env,
                             capture_output=True, text=True, timeout=600, check=True).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        tail = ((getattr(exc, "stderr", "") or "") + (getattr(exc, "stdout", "") or ""))[-300:]
        return Peer(note=f"failed: {exc}; {tail}")
    mean = re.search(r"^mean:\s+hello\s+([\d.]+) rps\s+story\s+([\d.]+) rps", out, re.M)
    if not mean:
        return Peer(note=f"unreadable output: {out[-300:]}")
    versions = setup.stdout.strip().splitlines()[-1] if setup.stdout.strip() else ""
    return Peer(float(mean.group(1)), float(mean.group(2)), versions)
