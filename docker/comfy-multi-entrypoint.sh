#!/bin/sh
# Entry point of the comfy-multi image: the comfy-multi command ("start" by default).
#
# NUM_WORKERS=N (1-3), unless COMFY_MULTI_PROVIDER_WORKERS is set, becomes the worker
# list gpu0 … gpu<N-1> at WORKER_URL_PATTERN with {i} replaced by 0 … N-1 (default
# http://worker{i}:8188, the worker services of docker-compose.yml). The same
# NUM_WORKERS picks the compose profile that starts those workers, so the number
# of workers is set in one place.
set -eu

if [ -n "${NUM_WORKERS:-}" ] && [ -z "${COMFY_MULTI_PROVIDER_WORKERS:-}" ]; then
  case "$NUM_WORKERS" in
    1 | 2 | 3) ;;
    *)
      echo "comfy-multi: NUM_WORKERS must be 1, 2 or 3 (docker-compose.yml defines worker0 … worker2), not \"$NUM_WORKERS\"" >&2
      exit 1
      ;;
  esac
  default_pattern='http://worker{i}:8188'
  pattern="${WORKER_URL_PATTERN:-$default_pattern}"
  list=""
  i=0
  while [ "$i" -lt "$NUM_WORKERS" ]; do
    url=$(printf '%s' "$pattern" | sed "s/{i}/$i/g")
    list="${list:+$list,}gpu$i=$url"
    i=$((i + 1))
  done
  export COMFY_MULTI_PROVIDER_WORKERS="$list"
fi

exec node "$(dirname "$0")/../server/cli.ts" "$@"
