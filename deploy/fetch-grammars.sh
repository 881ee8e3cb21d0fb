#!/usr/bin/env bash
# Fetch the tree-sitter grammars CodeWorm compiles in, with `npm pack`, at versions whose
# LANGUAGE_VERSION is 14 (the newest ABI Debian 12's libtree-sitter0 0.20.7 loads).
# Usage: deploy/fetch-grammars.sh DEST_DIR   (idempotent; nothing here is committed)
set -euo pipefail
dest=${1:?usage: fetch-grammars.sh DEST_DIR}
grammars="python@0.23.6 javascript@0.23.1 typescript@0.23.2 go@0.23.4 rust@0.23.2 c@0.23.4 cpp@0.23.4"
if [ -f "$dest/.complete" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-grammars: npm is required to fetch the tree-sitter grammars (run: make deps)" >&2
  exit 1
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for g in $grammars; do
  name=${g%@*}
  ( cd "$tmp" && npm pack --silent "tree-sitter-$g" >/dev/null )
  rm -rf "${dest:?}/$name"
  mkdir -p "$dest/$name"
  tar -xzf "$tmp/tree-sitter-${name}-${g#*@}.tgz" -C "$dest/$name" --strip-components=1
  grep -q 'LANGUAGE_VERSION 14' "$(find "$dest/$name" -name parser.c | head -1)" || {
    echo "fetch-grammars: tree-sitter-$g is not ABI 14" >&2; exit 1; }
done
touch "$dest/.complete"
echo "fetch-grammars: grammars ready in $dest"
