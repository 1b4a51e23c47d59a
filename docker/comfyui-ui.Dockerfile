# syntax=docker/dockerfile:1
# The UI upstream: a CPU-only ComfyUI that serves the web UI and the node definitions to
# the participants (through comfy-multi's seat gateway), started with --multi-user so each
# seat keeps its own workflows and settings, with the comfy-multi extension installed as a
# custom node. It runs no jobs. The same ComfyUI version, models (/models) and custom nodes
# (/custom_nodes) as the workers, so every node and model the UI offers exists on them.
# Build from the repository root:
#   docker build -f docker/comfyui-ui.Dockerfile --build-arg COMFYUI_VERSION=0.33.0 -t comfy-multi-ui .

ARG NODE_IMAGE=node:24.22.3-bookworm-slim
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm

# The extension bundle (extension/comfyui/js/comfy-multi.js) is built, not checked in.
FROM ${NODE_IMAGE} AS extension
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The bundle also takes a few modules from lib/ (reconnect back-off).
COPY lib ./lib
COPY extension ./extension
RUN npm run build:extension

FROM ${PYTHON_IMAGE}
ARG COMFYUI_VERSION=0.33.0

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 comfy \
 && install -d -o comfy -g comfy /opt/ComfyUI /opt/venv /data /data/input /data/output /data/tmp /data/user
USER comfy
# ComfyUI imports torch even with --cpu: the CPU wheels are enough and much smaller.
RUN curl -fsSL "https://github.com/Comfy-Org/ComfyUI/archive/refs/tags/v${COMFYUI_VERSION}.tar.gz" \
      | tar -xz --strip-components=1 -C /opt/ComfyUI \
 && python -m venv /opt/venv \
 && pip install --disable-pip-version-check torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cpu \
 && pip install --disable-pip-version-check -r /opt/ComfyUI/requirements.txt

# Our custom node lives inside the image (custom_nodes/comfy-multi); the deployment's own
# custom nodes come from /custom_nodes like on the workers.
COPY --chown=comfy:comfy extension/comfyui/__init__.py extension/comfyui/README.md /opt/ComfyUI/custom_nodes/comfy-multi/
COPY --from=extension --chown=comfy:comfy /src/extension/comfyui/js /opt/ComfyUI/custom_nodes/comfy-multi/js
COPY --chmod=0755 docker/comfyui/start.sh /opt/comfyui/start.sh
COPY docker/comfyui/extra_model_paths.yaml /opt/comfyui/extra_model_paths.yaml

ENV PORT=8188 \
    COMFYUI_FLAGS="--cpu --multi-user --disable-auto-launch --output-directory /data/output --input-directory /data/input --temp-directory /data/tmp --user-directory /data/user --extra-model-paths-config /opt/comfyui/extra_model_paths.yaml"
WORKDIR /opt/ComfyUI
EXPOSE 8188
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/system_stats' % os.environ.get('PORT', '8188'), timeout=8)"]
ENTRYPOINT ["/opt/comfyui/start.sh"]
