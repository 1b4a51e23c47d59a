#!/bin/sh
# A consistent backup of comfy-multi's data folder while the server keeps running:
# the SQLite queue through SQLite's online backup (sqlite3 ".backup", or Node's
# node:sqlite when sqlite3 is not installed), everything else as it is, in one tar.gz.
set -eu

usage() {
  cat <<'EOF'
usage: scripts/backup-data.sh [--out DIR] [--db FILE] DATA_DIR

Writes DIR/comfy-multi-data-YYYYMMDD-HHMMSS.tar.gz (DIR defaults to the current folder) with
everything in DATA_DIR: the queue database as a consistent snapshot, seats.json (seat codes,
hashed), session.key, tokens.json, announcements.json, outputs/ and inputs/ of every seat.
The server may keep running; files still being written (*.partial) are left out.

  --out DIR   where the archive goes (created when missing)
  --db FILE   the SQLite file inside DATA_DIR (store.path in comfy-multi.yaml; default queue.db)

The snapshot uses the sqlite3 command when it is installed, otherwise Node 24's node:sqlite
(scripts/sqlite-backup.ts). Set SQLITE3= (empty) to force Node, or SQLITE3=/path/to/sqlite3.
With the Redis store there is no queue file: the queue lives in Redis (its AOF), back that up
separately (docs/admin-guide.md).

Restore: stop the server, then  mkdir -p DATA_DIR && tar -xzf ARCHIVE -C DATA_DIR
EOF
}

out=.
db=queue.db
data=
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --out) [ $# -ge 2 ] || { echo "backup-data: --out needs a folder" >&2; exit 2; }; out=$2; shift 2 ;;
    --db) [ $# -ge 2 ] || { echo "backup-data: --db needs a file name" >&2; exit 2; }; db=$2; shift 2 ;;
    -*) echo "backup-data: unknown option $1 (see --help)" >&2; exit 2 ;;
    *)
      [ -z "$data" ] || { echo "backup-data: one DATA_DIR only (see --help)" >&2; exit 2; }
      data=$1; shift ;;
  esac
done
[ -n "$data" ] || { usage >&2; exit 2; }
[ -d "$data" ] || { echo "backup-data: $data is not a folder" >&2; exit 1; }
# tar's -C options are relative to each other: absolute paths keep them independent.
data=$(cd "$data" && pwd)
case "$db" in */* | '' | . | ..) echo "backup-data: --db is a file name inside DATA_DIR, not \"$db\"" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
archive="$out/comfy-multi-data-$stamp.tar.gz"
n=1
while [ -e "$archive" ]; do
  n=$((n + 1))
  archive="$out/comfy-multi-data-$stamp-$n.tar.gz"
done
work=$(mktemp -d)
trap 'rm -rf "$work" "$archive.partial"' EXIT
trap 'exit 130' INT TERM

# The archive holds the snapshot instead of the live database and its WAL files.
set --
how="no $db in $data (Redis store?): queue not included"
if [ -f "$data/$db" ]; then
  sqlite3_command=${SQLITE3-sqlite3}
  if [ -n "$sqlite3_command" ] && command -v "$sqlite3_command" >/dev/null 2>&1; then
    "$sqlite3_command" "$data/$db" ".timeout 10000" ".backup '$work/$db'"
    how="$db snapshot by sqlite3"
  else
    node "$here/sqlite-backup.ts" "$data/$db" "$work/$db"
    how="$db snapshot by node:sqlite"
  fi
  set -- -C "$work" "$db"
fi
set -- "$@" -C "$data"
entries=0
for entry in "$data"/* "$data"/.[!.]*; do
  [ -e "$entry" ] || continue
  name=${entry##*/}
  case "$name" in "$db" | "$db-wal" | "$db-shm" | "$db-journal") continue ;; esac
  set -- "$@" "$name"
  entries=$((entries + 1))
done

if ! tar --exclude='*.partial' -czf "$archive.partial" "$@"; then
  echo "backup-data: tar failed (did a file change while it was read?); run it again" >&2
  exit 1
fi
mv "$archive.partial" "$archive"
echo "backup-data: wrote $archive ($how; $entries other entries of $data)"
