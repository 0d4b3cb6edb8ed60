#!/usr/bin/env bash
# A wallet transfer from Heilongjiang (province 23) to Henan (province 41) through the hub (HN-9, WAL-1..WAL-4),
# against the three instances that `gongji federation example` set up and that are serving.
#
#   P23, P41  where provinces 23 and 41 listen   (default http://127.0.0.1:8301 and :8302)
#   PAYER     the payer's ID number, insured in 23 (default: 黄军 of the example)
#   RELATIVE  the relative's ID number, insured in 41, his wallet open (default: his mother 刘娜)
#   RELATIONSHIP, AMOUNT_FEN, PASSWORD          (defaults: parent, 50000, gongji2025)
# Needs curl and python3 (only to read a field of a JSON answer).
set -euo pipefail
P23=${P23:-http://127.0.0.1:8301}
P41=${P41:-http://127.0.0.1:8302}
PAYER=${PAYER:-230100198612210039}
RELATIVE=${RELATIVE:-41010019620605002X}
RELATIONSHIP=${RELATIONSHIP:-parent}
AMOUNT_FEN=${AMOUNT_FEN:-50000}
PASSWORD=${PASSWORD:-gongji2025}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
login() { curl -sf "$1/v1/auth/person" -H 'Content-Type: application/json' \
            -d "{\"id_number\": \"$2\", \"password\": \"$PASSWORD\"}"; }

# 1. In province 23 the payer sends 500.00 yuan to his mother's wallet in province 41. The money leaves his
#    account for the transit account towards 41, and the message is stored in 23's outbox, in one transaction.
PAYER_TOKEN=$(login "$P23" "$PAYER" | field "['token']")
SENT=$(curl -sf "$P23/v1/wallet-transfers" -H "Authorization: Bearer $PAYER_TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: federation-example-$(date +%s)" \
  -d "{\"beneficiary_id_number\": \"$RELATIVE\", \"beneficiary_province\": \"41\",
       \"relationship\": \"$RELATIONSHIP\", \"amount_fen\": $AMOUNT_FEN}")
echo "23 sent:      $SENT"
TRANSFER_NO=$(echo "$SENT" | field "['transfer_no']")
OUT_ID=$(echo "$SENT" | field "['wallet_transfer_id']")

# 2. The deliverers carry it 23 → hub → 41, where it arrives on the pending account. She finds it among the
#    transfers sent to her (a moment may pass while it travels).
LOGIN=$(login "$P41" "$RELATIVE")
TOKEN=$(echo "$LOGIN" | field "['token']")
ME=$(echo "$LOGIN" | field "['person_id']")
for _ in $(seq 1 30); do
  IN_ID=$(curl -sf "$P41/v1/people/$ME/wallet-transfers?role=beneficiary" -H "Authorization: Bearer $TOKEN" |
          field "['items']" | python3 -c "import ast, sys; print(next((t['wallet_transfer_id'] for t in
          ast.literal_eval(sys.stdin.read()) if t['transfer_no'] == '$TRANSFER_NO'), ''))")
  [ -n "$IN_ID" ] && break
  sleep 1
done
[ -n "$IN_ID" ] || { echo "the transfer has not arrived in 41 (is the hub serving?)" >&2; exit 1; }

# 3. She accepts it: it moves into her wallet, and 41 tells 23 through the hub.
echo "41 accepted:  $(curl -sf -X POST "$P41/v1/wallet-transfers/$IN_ID/accept" \
  -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: accept-$TRANSFER_NO")"
echo "41 wallet:    $(curl -sf "$P41/v1/people/$ME/wallet" -H "Authorization: Bearer $TOKEN")"

# 4. Back in 23 the payer sees it accepted.
for _ in $(seq 1 30); do
  STATE=$(curl -sf "$P23/v1/wallet-transfers/$OUT_ID" -H "Authorization: Bearer $PAYER_TOKEN" | field "['state']")
  [ "$STATE" = accepted ] && break
  sleep 1
done
echo "23 now sees:  $STATE"
[ "$STATE" = accepted ]
