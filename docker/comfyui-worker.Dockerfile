# syntax=docker/dockerfile:1
# A ComfyUI GPU worker: the official ComfyUI release, installed the way its README's
# manual install says (PyTorch for CUDA, then requirements.txt), models mounted read-only
# at /models. One container per worker; several share one GPU. Build from the repository root:
#   docker build -f docker/comfyui-worker.Dockerfile --build-arg COMFYUI_VERSION=0.33.0 -t comfy-multi-worker .
# Needs the NVIDIA Container Toolkit on the host. PyTorch's wheels bring their own CUDA
# libraries; the host driver must support TORCH_CUDA (cu128: driver 570 or newer).

ARG CUDA_IMAGE=nvidia/cuda:12.8.1-base-ubuntu24.04

FROM ${CUDA_IMAGE}
ARG COMFYUI_VERSION=0.33.0
ARG TORCH_CUDA=cu128

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl python3 python3-venv git libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

# ComfyUI and its venv belong to the user it runs as, so custom nodes' requirements can be
# installed at start (docker/comfyui/start.sh); the code is fetched and installed as that user.
RUN useradd --create-home --uid 10001 comfy \
 && install -d -o comfy -g comfy /opt/ComfyUI /opt/venv /data /data/input /data/output /data/tmp /data/user
USER comfy
RUN curl -fsSL "https://github.com/Comfy-Org/ComfyUI/archive/refs/tags/v${COMFYUI_VERSION}.tar.gz" \
      | tar -xz --strip-components=1 -C /opt/ComfyUI \
 && python3 -m venv /opt/venv \
 && pip install --disable-pip-version-check torch torchvision torchaudio --extra-index-url "https://download.pytorch.org/whl/${TORCH_CUDA}" \
 && pip install --disable-pip-version-check -r /opt/ComfyUI/requirements.txt

COPY --chmod=0755 docker/comfyui/start.sh /opt/comfyui/start.sh
COPY docker/comfyui/extra_model_paths.yaml /opt/comfyui/extra_model_paths.yaml

ENV PORT=8188 \
    COMFYUI_FLAGS="--preview-method auto --disable-auto-launch --output-directory /data/output --input-directory /data/input --temp-directory /data/tmp --user-directory /data/user --extra-model-paths-config /opt/comfyui/extra_model_paths.yaml"
WORKDIR /opt/ComfyUI
EXPOSE 8188
HEALTHCHECK --interval=30s --timeout=10s --start-period=10m --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/system_stats' % os.environ.get('PORT', '8188'), timeout=8)"]
ENTRYPOINT ["/opt/comfyui/start.sh"]
