# One image for every Agora process: the gateway and each subgraph differ only in the
# command (see docker-compose.yml). Python 3.11, installed with the project's pins.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p gateway subgraphs \
    && touch gateway/__init__.py subgraphs/__init__.py \
    && pip install . \
    && pip uninstall -y agora \
    && rm -rf gateway subgraphs build *.egg-info

COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY supergraph.yaml gateway.yaml ./
RUN pip install --no-deps . && rm -rf build *.egg-info

RUN useradd --create-home --uid 10001 agora \
    && mkdir -p /app/data && chown agora /app/data
USER agora

ENV AGORA_DATA_DIR=/app/data
EXPOSE 4000 4001 4002 4003 4004

# The accounts subgraph unless the compose service says otherwise.
CMD ["python", "-m", "subgraphs.accounts", "--host", "0.0.0.0", "--port", "4001"]
