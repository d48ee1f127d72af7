"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py newsroom.wsgi`.

The supported deployment is behind a buffering reverse proxy (nginx with proxy_buffering and
proxy_request_buffering on, the defaults): the proxy reads a slow client's request and writes
a slow client's response, so gunicorn only ever talks to the proxy, at LAN speed. Should a slow
client reach gunicorn anyway, it holds one thread of one worker, never a whole worker: threads
("gthread") rather than sync workers, whose every slow client held a whole worker until the
worker timeout killed it (two slow clients, two workers: the site down for 30 s). Without the
proxy, workers x threads slow clients would still fill every slot: the proxy is not optional.
Every value can be changed from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
# Each thread serves one request at a time; a slow client ties up one of them, not the worker.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker that does not report back within `timeout` s (stuck) is restarted; idle keep-alive
# connections close after `keepalive` s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (a safety net for memory, see docs/performance.md).
max_requests = 5000
max_requests_jitter = 500
# Requests bigger than this are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# X-Forwarded-Proto is believed from the proxy on this host only (as NEWSROOM_TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
# No control socket in the home directory: several gunicorns on one host (or a test's) would
# share it. Process management is the service manager's.
control_socket_disable = True
