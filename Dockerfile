# One image for every SI-RISMA process; compose.yaml picks the role with the command.
# Built from uv.lock so the container runs exactly the tested dependency set.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv \
 && useradd --system --create-home --home-dir /app sirisma

WORKDIR /app

# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY services ./services
COPY projections ./projections
RUN uv sync --frozen --no-dev \
 && mkdir -p /data/blobs && chown -R sirisma /data

USER sirisma
ENV SIRISMA_DATA_DIR=/data \
    SIRISMA_BLOB_DIR=/data/blobs \
    SIRISMA_HOST=0.0.0.0 \
    SIRISMA_LOG_JSON=true
EXPOSE 8000
ENTRYPOINT ["sirisma"]
CMD ["serve"]
