# One image for every Python service; the SERVICE build argument picks which one it runs
# (docs/decisions/0004-one-image-for-all-services.md).
#
#   docker build --build-arg SERVICE=intake -t fiscaldesk-intake .
#
# docker-compose.yml builds it once per service; all layers but the last few are shared between them.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# The services run as an unprivileged user; the code stays owned by root, so they cannot change it.
# /keys belongs to that user so a new named volume mounted there (the signing keys) is writable by the
# one-shot `keys` job, which runs as the same user; so do /audit-key (the audit trail's key, written by the
# same job) and /audit-anchors (the portal appends the chain's anchors there).
RUN groupadd --system --gid 10001 fiscaldesk \
    && useradd --system --uid 10001 --gid fiscaldesk --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin fiscaldesk \
    && mkdir /keys /audit-key /audit-anchors \
    && chown fiscaldesk:fiscaldesk /keys /audit-key /audit-anchors && chmod 0700 /keys /audit-key /audit-anchors

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when requirements.txt changes.
# Every pinned package has a manylinux or pure-Python wheel, so the slim image needs no compiler.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY shared/ shared/
COPY services/ services/
RUN python -m compileall -q shared services

# Declared this late on purpose: an ARG changes the cache key of every RUN after it, and everything
# above is the same for all five services.
ARG SERVICE
ENV FD_SERVICE=${SERVICE}
RUN test -n "$FD_SERVICE" && test -f "services/$FD_SERVICE/bootstrap.py" \
    || { echo "build with --build-arg SERVICE=<portal|intake|review|dispatch|notify>" >&2; exit 1; }

USER fiscaldesk
EXPOSE 8000

# /readyz answers 200 only when the service's database and Kafka both answer (shared/web.py);
# urlopen raises on a 503 or a refused connection, which makes the check fail. No curl in slim.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

# sh -c so that $FD_SERVICE expands at run time; exec so that uvicorn is PID 1 and gets SIGTERM.
# Same flags as infra/launcher.py uses outside Docker.
CMD ["sh", "-c", "exec uvicorn --factory \"services.${FD_SERVICE}.bootstrap:create_service\" --host 0.0.0.0 --port 8000 --no-access-log --timeout-graceful-shutdown 10"]
