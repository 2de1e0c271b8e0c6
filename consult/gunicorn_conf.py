"""gunicorn settings for the form handler, shipped in the package:

    gunicorn -c python:consult.gunicorn_conf consult.forms.wsgi:app

The app reads CONSULT_ROOT, CONSULT_RULES, CONSULT_INBOX, CONSULT_SECRET (see
`consult.forms.wsgi.app_from_env`); these settings read PORT (8000), CONSULT_BIND
(0.0.0.0), CONSULT_WORKERS (2), CONSULT_THREADS (4) and CONSULT_FORWARDED_ALLOW_IPS
(127.0.0.1: the reverse proxy whose X-Forwarded-* headers are believed).
See docs/deployment.md.
"""

from __future__ import annotations

import os

bind = [f"{os.environ.get('CONSULT_BIND', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("CONSULT_WORKERS", "2"))
# Threads: a submission waits on a durable commit (fsync, or a PostgreSQL round trip).
worker_class = "gthread"
threads = int(os.environ.get("CONSULT_THREADS", "4"))
timeout = 30
graceful_timeout = 30  # a stopping replica finishes the submissions it acknowledged
keepalive = 5
limit_request_line = 4094
limit_request_fields = 100
# The heartbeat files live in memory: the container's filesystem is read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
max_requests = 10_000
max_requests_jitter = 500

# Logs: method, path without its query string (it may hold a token), status, size, duration.
# Never the client's address nor its user agent: personal data stays out of logs.
accesslog = "-"
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(L)s"
errorlog = "-"
forwarded_allow_ips = os.environ.get("CONSULT_FORWARDED_ALLOW_IPS", "127.0.0.1")
