"""Gunicorn settings for the container image (docs/deploy.md).

Environment: PORT (default 8000), WEB_CONCURRENCY (worker processes per container,
default 3), GUNICORN_TIMEOUT (seconds, default 30), LOG_LEVEL.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Not derived from the CPU count: in a container that is the host's, and every worker
# holds a database connection. Scale with WEB_CONCURRENCY and more replicas.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request that takes longer than this is a bug or a stuck database: kill the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Docker stops a container with SIGTERM and then SIGKILL after 10 s by default.
graceful_timeout = 8
keepalive = 5
# Recycle workers now and then so that a slow leak never takes the service down.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file on tmpfs: on an overlay filesystem fchmod can stall a worker.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - gunicorn creates its file with mkstemp
# The non-root user has no writable home for gunicornc's control socket.
control_socket_disable = True
# Logs go to stdout/stderr, where the container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
