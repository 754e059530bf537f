#!/usr/bin/env bash
# The README's demo: what aiprov says about the bundled demo production.
set -euo pipefail
AIPROV=${1:-aiprov}
cd "$(dirname "$0")/production"
echo "== aiprov inspect: what each file says about its origin"
"$AIPROV" inspect .
