# The SCIM target emulator: gunicorn (gthread workers) on port 8000, state in DATABASE_URL
# (SQLite under /app/instance when unset). Build: docker build -t scim-target-emulator .
# BASE_IMAGE: any image with python3.11 (`python`, `pip`) and useradd, e.g. one built with your CA
# certificates when pip must pass a TLS-inspecting proxy (the compose CI test builds such one).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin emulator
COPY --chown=emulator:emulator . .
RUN mkdir -p /app/instance && chown emulator:emulator /app/instance

USER emulator
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["./boot.sh"]
