#!/usr/bin/env bash
# ctest's real_readers: makes the virtual environment (scripts/python-venv.sh)
# on first use, then runs real_readers.py in it. Exits 77 (ctest: skipped),
# saying why, when the packages cannot be installed.
set -uo pipefail
build=${1:?usage: run_real_readers.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
if ! "$here/../../scripts/python-venv.sh" "$build/venv"; then
  echo "real_readers skipped: pip could not install tensorboard and safetensors into $build/venv"
  exit 77
fi
exec "$build/venv/bin/python" "$here/real_readers.py" "$build"
