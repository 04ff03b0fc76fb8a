#!/usr/bin/env bash
# Creates (or reuses) target/py-venv with the packages in
# tests/python/requirements.txt and prints the venv's python path on the last
# line of stdout. Reinstalls only when requirements.txt changed, so repeated
# test runs cost nothing. Exit 3 means python3, venv or pip is unavailable
# (callers decide whether that is fatal); any other failure exits 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${OCFAIL_PY_VENV:-$root/target/py-venv}"
req="$here/requirements.txt"
stamp="$venv/.ocfail-requirements"

if ! command -v python3 >/dev/null 2>&1; then
    echo "venv.sh: python3 not found" >&2
    exit 3
fi
if [[ -x "$venv/bin/python" ]] && [[ -f "$stamp" ]] && cmp -s "$req" "$stamp"; then
    echo "$venv/bin/python"
    exit 0
fi
# A lock keeps two test processes from building the same venv at once.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -x "$venv/bin/python" ]] && [[ -f "$stamp" ]] && cmp -s "$req" "$stamp"; then
    echo "$venv/bin/python"
    exit 0
fi
rm -rf "$venv"
if ! python3 -m venv "$venv" >&2; then
    echo "venv.sh: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
    rm -rf "$venv"
    exit 3
fi
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "venv.sh: pip is not available in the venv" >&2
    rm -rf "$venv"
    exit 3
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
cp "$req" "$stamp"
echo "$venv/bin/python"
