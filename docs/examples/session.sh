#!/usr/bin/env bash
# A short session against `gongji demo` (or `gongji serve`): a payer logs in and binds a relative, a hospital
# settles the relative's bill, paid partly from the payer's account, and both sides look at the payment.
#
#   GONGJI    where the service listens          (default http://127.0.0.1:8000)
#   PAYER     the payer's ID number              (a demo login printed by `gongji demo`)
#   RELATIVE  the relative's ID number
#   RELATIVE_NAME  the relative's name, as registered with that ID number (HLJ-7)
#   PASSWORD  the payer's password               (demo: gongji2025)
#   CODE      the hospital's code                (printed by `gongji demo`)
#   SECRET    the hospital's secret              (printed by `gongji demo`)
# Needs curl, openssl and python3 (only to read a field of a JSON answer).
set -euo pipefail
GONGJI=${GONGJI:-http://127.0.0.1:8000}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# 1. The payer logs in and gets a token.
TOKEN=$(curl -sf "$GONGJI/v1/auth/person" -H 'Content-Type: application/json' \
  -d "{\"id_number\": \"$PAYER\", \"password\": \"$PASSWORD\"}" | field "['token']")

# 2. He binds the relative by ID number and name (HLJ-7), accepting the region's agreement (N-7). A retry
#    with the same key binds once.
AGREEMENT=$(curl -sf "$GONGJI/v1/me" -H "Authorization: Bearer $TOKEN" | field "['region_code']")
AGREEMENT=$(curl -sf "$GONGJI/v1/regions/$AGREEMENT/policy" | field "['policy']['agreement_version']")
curl -sf "$GONGJI/v1/bindings" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: bind-$RELATIVE" \
  -d "{\"beneficiary_id_number\": \"$RELATIVE\", \"beneficiary_name\": \"$RELATIVE_NAME\",
       \"relationship\": \"${RELATIONSHIP:-sibling}\", \"agreement_version\": \"$AGREEMENT\"}"
echo

# 3. The hospital settles a bill of 800.00 yuan (80000 fen) for the relative. Institutions sign each
#    request: HMAC-SHA256 over method, path, time, nonce, Idempotency-Key (empty if none) and the body's
#    SHA-256, with their secret.
signed() {  # signed METHOD PATH [BODY] [KEY]
  local ts nonce digest signature
  ts=$(date +%s); nonce=$(openssl rand -hex 16)
  digest=$(printf '%s' "${3:-}" | openssl dgst -sha256 -r | cut -d' ' -f1)
  signature=$(printf '%s\n%s\n%s\n%s\n%s\n%s' "$1" "$2" "$ts" "$nonce" "${4:-}" "$digest" \
    | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
  curl -sf -X "$1" "$GONGJI$2" -H 'Content-Type: application/json' ${4:+-H "Idempotency-Key: $4"} \
    -H "X-Gongji-Institution: $CODE" -H "X-Gongji-Timestamp: $ts" -H "X-Gongji-Nonce: $nonce" \
    -H "X-Gongji-Signature: $signature" ${3:+--data-binary "$3"}
}
BILL="{\"patient_id_number\": \"$RELATIVE\", \"amount_fen\": 80000, \"use\": \"outpatient\"}"
signed POST /v1/settlements "$BILL" "visit-$RELATIVE-1" | tee /tmp/gongji-settlement.json
echo

# 4. The payer sees what his account paid for the relative (N-9).
ME=$(curl -sf "$GONGJI/v1/me" -H "Authorization: Bearer $TOKEN" | field "['person_id']")
curl -sf "$GONGJI/v1/people/$ME/aid-payments?role=payer" -H "Authorization: Bearer $TOKEN"
echo
