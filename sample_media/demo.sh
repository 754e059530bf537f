#!/usr/bin/env bash
# The README's demo: the pre-delivery gate on the bundled demo production.
# One AI plate in finals was approved in writing; one AI still was not.
set -euo pipefail
AIPROV=${1:-aiprov}
PROD="$(cd "$(dirname "$0")/production" && pwd)"
export AIPROV_LEDGER="$PROD/.aiprov/demo-ledger.db"
rm -f "$AIPROV_LEDGER" "$AIPROV_LEDGER-wal" "$AIPROV_LEDGER-shm"

echo "== 1. the written approval for the sky replacement plate is recorded"
"$AIPROV" approve "$PROD/finals/plates/sky_replacement_ai.png" --from-json "$PROD/approvals/sky_replacement_ai.json"
echo
echo "== 2. aiprov scan: the pre-delivery gate"
status=0
"$AIPROV" scan "$PROD" --no-progress || status=$?
echo
echo "== exit status $status (0 = deliverable, 1 = error findings): the unapproved AI still in finals stops the delivery"
echo "== 3. where did it come from?"
"$AIPROV" lookup "$PROD/finals/stills/poster_insert_ai.jpg"
[ "$status" -eq 1 ]
