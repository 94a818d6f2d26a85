# syntax=docker/dockerfile:1
# Postgate: one image for the one-shot `postgate init`, the web app (`postgate serve`, the
# default command) and the workers (`postgate worker`). compose.yaml runs all three;
# docs/deploy.md walks through it.
#
# Pinned: the base image by exact tag (pin its digest as well with
#   --build-arg PYTHON_IMAGE=python:3.11.16-slim-trixie@sha256:...
# as `docker buildx imagetools inspect` shows it), every Python package by version and hash
# (requirements.lock, made by scripts/lock), PostgreSQL's client by major version.
ARG PYTHON_IMAGE=python:3.11.16-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/postgate
WORKDIR /src
COPY requirements.lock ./
RUN /opt/postgate/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        -r requirements.lock
COPY pyproject.toml README.md ./
COPY postgate ./postgate
COPY gateway ./gateway
COPY rules ./rules
COPY workers ./workers
COPY sandbox ./sandbox
RUN /opt/postgate/bin/pip install --no-deps --no-build-isolation . \
    && /opt/postgate/bin/python -m compileall -q /opt/postgate

FROM ${PYTHON_IMAGE}
# pg_dump and pg_restore for `postgate backup` and `postgate restore` on PostgreSQL: the
# client's major version matches the server of compose.yaml (17); Debian replaces exact
# versions with security updates, so the package name is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-17 \
        tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 postgate \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/postgate \
        --create-home --shell /usr/sbin/nologin postgate
COPY --from=build /opt/postgate /opt/postgate
COPY config /etc/postgate
ENV PATH=/opt/postgate/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    POSTGATE_INSTANCE=/var/lib/postgate POSTGATE_CONFIG=/etc/postgate/postgate.toml
WORKDIR /var/lib/postgate
USER 10001:10001
VOLUME ["/var/lib/postgate"]
EXPOSE 8000
# Healthy when this container's role answers: the web app's /healthz, or else a worker's
# recent heartbeat (each container runs one of them; compose.yaml sets one check per role).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "postgate serve --check --port 8000 || postgate worker --check"]
ENTRYPOINT ["postgate"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
