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
echo
echo "== 4. the review desk, for the people who sign off: an approver named demo (password below)"
printf 'night harbour demo\n' | "$AIPROV" users add demo --role approver --password-stdin
echo "   open the desk on the demo production (Ctrl-C stops it), then sign in as demo / night harbour demo:"
echo "     AIPROV_LEDGER=\"$AIPROV_LEDGER\" $AIPROV serve --config \"$PROD/aiprov.toml\""
echo "   and browse http://127.0.0.1:8765/"
[ "$status" -eq 1 ]
