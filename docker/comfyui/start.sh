#!/bin/sh
# Starts ComfyUI in the worker and UI-upstream images.
#
# Custom nodes are mounted read-only at /custom_nodes (listed in extra_model_paths.yaml);
# their Python requirements are installed into the image's venv first, because a node
# whose imports fail is silently missing and the workers' node definitions would no
# longer match the UI's. Then main.py runs with the image's flags ($COMFYUI_FLAGS), the
# port ($PORT), the deployment's extra flags ($COMFYUI_EXTRA_ARGS) and any arguments.
set -eu

for requirements in /custom_nodes/*/requirements.txt; do
  [ -f "$requirements" ] || continue
  echo "comfyui: installing the requirements of $(dirname "$requirements")"
  pip install --no-cache-dir --disable-pip-version-check --quiet -r "$requirements" \
    || echo "comfyui: WARNING: $requirements did not install; that custom node may fail to load" >&2
done

# shellcheck disable=SC2086 # the flag lists are meant to be split into words
exec python /opt/ComfyUI/main.py --listen 0.0.0.0 --port "${PORT:-8188}" ${COMFYUI_FLAGS:-} ${COMFYUI_EXTRA_ARGS:-} "$@"
