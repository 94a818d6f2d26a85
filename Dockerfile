# Postgate: the web app, API and workers in one image. Run the web app with
#   docker run -p 8000:8000 -e POSTGATE_DATABASE_URL=... -e POSTGATE_REDIS_URL=... \
#     -e POSTGATE_SECRET_KEYS=... -e POSTGATE_AUDIT_KEY=... -e POSTGATE_WEB_SECRET=... postgate
# and the workers with the same image and `postgate worker` as the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    POSTGATE_INSTANCE=/var/lib/postgate POSTGATE_CONFIG=/app/config/postgate.toml

RUN useradd --system --home-dir /var/lib/postgate --create-home postgate
WORKDIR /app
COPY pyproject.toml README.md ./
COPY postgate ./postgate
COPY gateway ./gateway
COPY rules ./rules
COPY workers ./workers
COPY config ./config
RUN pip install --no-cache-dir .

USER postgate
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "postgate init && postgate serve --host 0.0.0.0 --port 8000"]
