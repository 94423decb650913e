#!/usr/bin/env bash
# Creates (once) a Python virtual environment at $1 with the real readers
# the interop tests use: tensorboard and safetensors from pip, and
# matplotlib for docs/plots/. It sees Debian's packages (python3-torch,
# numpy, scipy), and numpy stays at Debian's version so torch keeps working.
# Idempotent and quiet when everything is there; exits non-zero if pip cannot
# install them (no network, no python3-venv).
set -euo pipefail
venv=${1:?usage: scripts/python-venv.sh DIR}
python=/usr/bin/python3
want="import tensorboard, safetensors, matplotlib, PIL"

[ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$want" 2>/dev/null && exit 0
echo "tensorgrad: installing tensorboard, safetensors, matplotlib into $venv (pip)"
"$python" -m venv --system-site-packages "$venv"
numpy=$("$python" -c "import numpy; print(numpy.__version__)" 2>/dev/null || true)
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
[ -n "$numpy" ] && echo "numpy==$numpy" >"$constraints"
"$venv/bin/pip" install -q --disable-pip-version-check -c "$constraints" \
  tensorboard safetensors matplotlib
"$venv/bin/python" -c "$want"
