#!/usr/bin/env bash
# Rewrite constraints.txt from the packages of ./.venv: run it after a change of dependencies, once
# the suite passes with them (`bash scripts/test.sh`), and commit the file. Every set-up installs
# exactly these versions (scripts/setup_env.sh passes the file to each pip install).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Versions the suite was last run with (scripts/refresh_constraints.sh writes this file)."
  .venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check 2>/dev/null \
    | grep -v -i '^codecprobe' | sed -E 's/^(torch==[0-9.]+)\+cpu$/\1/'
} > constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pinned packages"
