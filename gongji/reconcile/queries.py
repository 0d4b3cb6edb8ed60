"""The SQL of the reconciliation's checks (:mod:`gongji.reconcile.service` runs them): each query returns the rows
that differ, named by their ids, with what was expected and what was found. ``{settlements}``, ``{refunds}`` and the
like are the scope's conditions, filled in by the service."""

from __future__ import annotations

# -- settlements (N-10, N-3) -------------------------------------------------------------------------


def entry_head(table: str, alias: str, id_name: str, entry: str, kind: str, ref_type: str, day: str, scope: str,
                joins: str = "") -> str:
    """A row's entry is of its kind, names the row, and is of the row's day (``kind`` is SQL: it may depend on the
    row; ``id_name`` names the row's id in the differences)."""
    expected = f"{kind} || ' ' || '{ref_type}:' || CAST({alias}.id AS TEXT) || ' ' || CAST({alias}.{day} AS TEXT)"
    found = ("COALESCE(e.kind, '?') || ' ' || COALESCE(e.ref_type, '?') || ':' || COALESCE(CAST(e.ref_id AS TEXT), '?')"
             " || ' ' || COALESCE(CAST(e.\"on\" AS TEXT), '?')")
    return (f"SELECT {alias}.id AS {id_name}, 'its entry: kind, the row it names, day' AS what, 'text' AS unit, "
            f"{expected} AS expected, {found} AS found "
            f"FROM {table} {alias} {joins} LEFT JOIN ledger_entries e ON e.id = {alias}.{entry} "
            f"WHERE {scope} AND {alias}.{entry} IS NOT NULL AND (e.id IS NULL OR e.kind <> {kind} "
            f"OR e.ref_type IS NULL OR e.ref_type <> '{ref_type}' OR e.ref_id IS NULL OR e.ref_id <> {alias}.id "
            f"OR e.\"on\" <> {alias}.{day})")


#: What an institution is owed: its system account (``institution:<code>``), joined as ``owed``.
_OWED = "JOIN institutions i ON i.id = {alias}.institution_id LEFT JOIN accounts owed ON owed.system_key = 'institution:' || i.code"

SETTLEMENT_AMOUNTS = """
SELECT s.id AS settlement_id, 'own + mutual aid + cash, none below zero' AS what, 'fen' AS unit,
       s.amount_fen AS expected, s.own_fen + s.mutual_aid_fen + s.cash_fen AS found
FROM settlements s
WHERE {settlements} AND (s.own_fen + s.mutual_aid_fen + s.cash_fen <> s.amount_fen OR s.amount_fen <= 0
                         OR s.own_fen < 0 OR s.mutual_aid_fen < 0 OR s.cash_fen < 0)
"""

SETTLEMENT_PARTS = """
WITH chosen AS (SELECT s.id, s.patient_id, s.own_fen, s.mutual_aid_fen FROM settlements s WHERE {settlements}),
paid AS (
    SELECT c.id AS settlement_id,
           SUM(CASE WHEN sp.payer_id = c.patient_id THEN sp.amount_fen ELSE 0 END) AS own,
           SUM(CASE WHEN sp.payer_id <> c.patient_id THEN sp.amount_fen ELSE 0 END) AS aid
    FROM chosen c JOIN settlement_parts sp ON sp.settlement_id = c.id GROUP BY c.id
)
SELECT c.id AS settlement_id, CAST(NULL AS BIGINT) AS part_id, 'parts from the patient''s accounts = own_fen' AS what, 'fen' AS unit,
       c.own_fen AS expected, COALESCE(p.own, 0) AS found
FROM chosen c LEFT JOIN paid p ON p.settlement_id = c.id WHERE c.own_fen <> COALESCE(p.own, 0)
UNION ALL
SELECT c.id, CAST(NULL AS BIGINT), 'parts from payers'' accounts = mutual_aid_fen', 'fen', c.mutual_aid_fen, COALESCE(p.aid, 0)
FROM chosen c LEFT JOIN paid p ON p.settlement_id = c.id WHERE c.mutual_aid_fen <> COALESCE(p.aid, 0)
UNION ALL
SELECT c.id, sp.id, 'paid from an account of its payer (person id), of its fund, above zero', 'id', sp.payer_id,
       a.person_id
FROM chosen c JOIN settlement_parts sp ON sp.settlement_id = c.id LEFT JOIN accounts a ON a.id = sp.account_id
WHERE a.person_id IS NULL OR a.person_id <> sp.payer_id OR a.fund <> sp.fund OR sp.amount_fen <= 0
"""

SETTLEMENT_LEGS = """
WITH chosen AS (
    SELECT s.id, s.entry_id, s.own_fen + s.mutual_aid_fen AS paid, owed.id AS owed_id
    FROM settlements s """ + _OWED.format(alias="s") + """ WHERE {settlements}
),
legs AS (
    SELECT c.id AS settlement_id, sp.account_id, -sp.amount_fen AS expected, 0 AS found
    FROM chosen c JOIN settlement_parts sp ON sp.settlement_id = c.id
    UNION ALL
    SELECT c.id, c.owed_id, c.paid, 0 FROM chosen c WHERE c.paid <> 0
    UNION ALL
    SELECT c.id, p.account_id, 0, p.amount_fen FROM chosen c JOIN postings p ON p.entry_id = c.entry_id
)
SELECT settlement_id, account_id, 'its entry''s posting on the account' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM legs GROUP BY settlement_id, account_id HAVING SUM(expected) <> SUM(found)
"""

# -- refunds (HN-5) ------------------------------------------------------------------------------------

REFUND_WITHIN_PAID = """
WITH chosen AS (
    SELECT sp.id, sp.settlement_id, sp.amount_fen, sp.refunded_fen
    FROM settlement_parts sp JOIN settlements s ON s.id = sp.settlement_id WHERE {settlements}
),
back AS (
    SELECT c.id AS part_id, SUM(rp.amount_fen) AS total
    FROM chosen c JOIN refund_parts rp ON rp.settlement_part_id = c.id GROUP BY c.id
)
SELECT c.settlement_id, c.id AS part_id, 'refunded from the part, at most what it paid' AS what, 'fen' AS unit,
       c.amount_fen AS expected, b.total AS found
FROM chosen c JOIN back b ON b.part_id = c.id WHERE b.total > c.amount_fen
UNION ALL
SELECT c.settlement_id, c.id, 'refunded_fen of the part = its refund parts', 'fen', COALESCE(b.total, 0),
       c.refunded_fen
FROM chosen c LEFT JOIN back b ON b.part_id = c.id WHERE c.refunded_fen <> COALESCE(b.total, 0)
"""

REFUND_AMOUNTS = """
WITH chosen AS (
    SELECT r.id, r.settlement_id, r.amount_fen, r.cash_fen
    FROM refunds r JOIN settlements s ON s.id = r.settlement_id WHERE {refunds}
),
back AS (
    SELECT c.id AS refund_id, SUM(rp.amount_fen) AS total,
           SUM(CASE WHEN sp.settlement_id = c.settlement_id THEN 0 ELSE 1 END) AS elsewhere
    FROM chosen c JOIN refund_parts rp ON rp.refund_id = c.id
    LEFT JOIN settlement_parts sp ON sp.id = rp.settlement_part_id GROUP BY c.id
)
SELECT c.settlement_id, c.id AS refund_id, 'refund parts + cash = amount, none below zero' AS what, 'fen' AS unit,
       c.amount_fen AS expected, COALESCE(b.total, 0) + c.cash_fen AS found
FROM chosen c LEFT JOIN back b ON b.refund_id = c.id
WHERE COALESCE(b.total, 0) + c.cash_fen <> c.amount_fen OR c.amount_fen <= 0 OR c.cash_fen < 0
UNION ALL
SELECT c.settlement_id, c.id, 'refund parts of another settlement''s parts', 'count', 0, b.elsewhere
FROM chosen c JOIN back b ON b.refund_id = c.id WHERE b.elsewhere > 0
"""

REFUND_TOTALS = """
WITH chosen AS (
    SELECT s.id, s.amount_fen, s.cash_fen, s.refunded_fen, s.cash_refunded_fen FROM settlements s WHERE {settlements}
),
back AS (
    SELECT c.id AS settlement_id, SUM(r.amount_fen) AS amount, SUM(r.cash_fen) AS cash
    FROM chosen c JOIN refunds r ON r.settlement_id = c.id GROUP BY c.id
),
t AS (
    SELECT c.id, c.amount_fen, c.cash_fen, c.refunded_fen, c.cash_refunded_fen,
           COALESCE(b.amount, 0) AS back_amount, COALESCE(b.cash, 0) AS back_cash
    FROM chosen c LEFT JOIN back b ON b.settlement_id = c.id
)
SELECT id AS settlement_id, 'refunded_fen = its refunds' AS what, 'fen' AS unit, back_amount AS expected,
       refunded_fen AS found FROM t WHERE refunded_fen <> back_amount
UNION ALL
SELECT id, 'its refunds, at most its amount', 'fen', amount_fen, back_amount FROM t WHERE back_amount > amount_fen
UNION ALL
SELECT id, 'cash_refunded_fen = cash of its refunds', 'fen', back_cash, cash_refunded_fen FROM t
WHERE cash_refunded_fen <> back_cash
UNION ALL
SELECT id, 'cash refunded, at most the cash paid', 'fen', cash_fen, back_cash FROM t WHERE back_cash > cash_fen
"""

_STATUS = ("CASE WHEN s.refunded_fen = 0 THEN 'settled' WHEN s.refunded_fen = s.amount_fen THEN 'refunded' "
           "ELSE 'partially_refunded' END")
SETTLEMENT_STATUS = f"""
SELECT s.id AS settlement_id, 'status, by what was refunded' AS what, 'text' AS unit, {_STATUS} AS expected,
       s.status AS found
FROM settlements s WHERE {{settlements}} AND s.status <> {_STATUS}
"""

REFUND_LEGS = """
WITH chosen AS (
    SELECT r.id, r.settlement_id, r.entry_id, owed.id AS owed_id
    FROM refunds r JOIN settlements s ON s.id = r.settlement_id """ + _OWED.format(alias="s") + """
    WHERE {refunds}
),
legs AS (
    SELECT c.settlement_id, c.id AS refund_id, sp.account_id, rp.amount_fen AS expected, 0 AS found
    FROM chosen c JOIN refund_parts rp ON rp.refund_id = c.id JOIN settlement_parts sp ON sp.id = rp.settlement_part_id
    UNION ALL
    SELECT c.settlement_id, c.id, c.owed_id, -rp.amount_fen, 0 FROM chosen c JOIN refund_parts rp ON rp.refund_id = c.id
    UNION ALL
    SELECT c.settlement_id, c.id, p.account_id, 0, p.amount_fen FROM chosen c JOIN postings p ON p.entry_id = c.entry_id
)
SELECT settlement_id, refund_id, account_id, 'its entry''s posting on the account' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM legs GROUP BY settlement_id, refund_id, account_id HAVING SUM(expected) <> SUM(found)
"""

# -- transfers (HZ-1, HZ-2) and contributions (N-5) ------------------------------------------------------

TRANSFER_LEGS = """
WITH chosen AS (
    SELECT t.id, t.entry_id, t.amount_fen, source.id AS source_id, target.id AS target_id
    FROM transfers t
    LEFT JOIN accounts source ON source.person_id = t.payer_id AND source.fund = 'prior_years'
    LEFT JOIN accounts target ON target.person_id = t.beneficiary_id AND target.fund = 'prior_years'
    WHERE {transfers}
),
legs AS (
    SELECT id AS transfer_id, source_id AS account_id, -amount_fen AS expected, 0 AS found FROM chosen
    UNION ALL
    SELECT id, target_id, amount_fen, 0 FROM chosen
    UNION ALL
    SELECT c.id, p.account_id, 0, p.amount_fen FROM chosen c JOIN postings p ON p.entry_id = c.entry_id
)
SELECT transfer_id, account_id, 'its entry''s posting on the prior-years funds' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM legs GROUP BY transfer_id, account_id HAVING SUM(expected) <> SUM(found)
"""

# -- wallet transfers (WAL-1, WAL-4, HN-9) ---------------------------------------------------------------

#: Each step's entry moves what the row says. Where the money waits (``hold``) is the pending account of the payer's
#: region, or, for a transfer sent to another province (``out``), the transit account towards it.
#: send (local, out): the payer's funds, as split, into ``hold``; arrive (in): from the transit account of the
#: payer's province into the pending account; accept (local, in): pending into the wallet's account; return: out of
#: ``hold`` back into the funds it came from, or (in) back to the transit account.
WALLET_LEGS = """
WITH chosen AS (
    SELECT w.id, w.direction, w.amount_fen, w.current_year_fen, w.prior_years_fen, w.send_entry_id,
           w.arrive_entry_id, w.accept_entry_id, w.return_entry_id, cy.id AS cy_id, py.id AS py_id,
           pe.id AS pending_id, tin.id AS transit_in_id, wa.account_id AS wallet_account_id,
           CASE WHEN w.direction = 'out' THEN tout.id ELSE pe.id END AS hold_id
    FROM wallet_transfers w
    LEFT JOIN accounts cy ON cy.person_id = w.payer_id AND cy.fund = 'current_year'
    LEFT JOIN accounts py ON py.person_id = w.payer_id AND py.fund = 'prior_years'
    LEFT JOIN accounts pe ON pe.system_key = 'wallet_pending:' || w.region_code
    LEFT JOIN accounts tout ON tout.system_key = 'wallet_transit_out:' || w.counterpart_province
    LEFT JOIN accounts tin ON tin.system_key = 'wallet_transit_in:' || w.counterpart_province
    LEFT JOIN wallets wa ON wa.id = w.wallet_id
    WHERE {wallet_transfers}
),
legs AS (
    SELECT id AS wallet_transfer_id, 'send' AS step, cy_id AS account_id, -current_year_fen AS expected, 0 AS found
    FROM chosen WHERE send_entry_id IS NOT NULL
    UNION ALL SELECT id, 'send', py_id, -prior_years_fen, 0 FROM chosen WHERE send_entry_id IS NOT NULL
    UNION ALL SELECT id, 'send', hold_id, amount_fen, 0 FROM chosen WHERE send_entry_id IS NOT NULL
    UNION ALL SELECT c.id, 'send', p.account_id, 0, p.amount_fen FROM chosen c JOIN postings p ON p.entry_id = c.send_entry_id
    UNION ALL SELECT id, 'arrive', transit_in_id, -amount_fen, 0 FROM chosen WHERE arrive_entry_id IS NOT NULL
    UNION ALL SELECT id, 'arrive', pending_id, amount_fen, 0 FROM chosen WHERE arrive_entry_id IS NOT NULL
    UNION ALL SELECT c.id, 'arrive', p.account_id, 0, p.amount_fen
    FROM chosen c JOIN postings p ON p.entry_id = c.arrive_entry_id
    UNION ALL SELECT id, 'accept', pending_id, -amount_fen, 0 FROM chosen WHERE accept_entry_id IS NOT NULL
    UNION ALL SELECT id, 'accept', wallet_account_id, amount_fen, 0 FROM chosen WHERE accept_entry_id IS NOT NULL
    UNION ALL SELECT c.id, 'accept', p.account_id, 0, p.amount_fen
    FROM chosen c JOIN postings p ON p.entry_id = c.accept_entry_id
    UNION ALL SELECT id, 'return', hold_id, -amount_fen, 0 FROM chosen WHERE return_entry_id IS NOT NULL
    UNION ALL SELECT id, 'return', cy_id, current_year_fen, 0
    FROM chosen WHERE return_entry_id IS NOT NULL AND direction <> 'in'
    UNION ALL SELECT id, 'return', py_id, prior_years_fen, 0
    FROM chosen WHERE return_entry_id IS NOT NULL AND direction <> 'in'
    UNION ALL SELECT id, 'return', transit_in_id, amount_fen, 0
    FROM chosen WHERE return_entry_id IS NOT NULL AND direction = 'in'
    UNION ALL SELECT c.id, 'return', p.account_id, 0, p.amount_fen
    FROM chosen c JOIN postings p ON p.entry_id = c.return_entry_id
)
SELECT wallet_transfer_id, account_id, 'its ' || step || ' entry''s posting' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM legs GROUP BY wallet_transfer_id, step, account_id HAVING SUM(expected) <> SUM(found)
"""

#: A transfer has the entries of its direction and state. Local: sent (send), accepted (send, accept), returned (send,
#: return). Sent to another province: send, and return once returned or refused there; an accepted one has no entry
#: here (the money is there). Come from another province: arrive, then accept or return; refused on arrival: none.
WALLET_STATES = """
SELECT x.id AS wallet_transfer_id, 'its entries (send, arrive, accept, return) for its state' AS what,
       'text' AS unit, x.expected, x.found
FROM (
    SELECT w.id,
           w.direction || ' ' || w.state || ': ' || CASE
               WHEN w.direction = 'local' AND w.state = 'sent' THEN 'send'
               WHEN w.direction = 'local' AND w.state = 'accepted' THEN 'send accept'
               WHEN w.direction = 'local' AND w.state = 'returned' THEN 'send return'
               WHEN w.direction = 'out' AND w.state IN ('sent', 'accepted') THEN 'send'
               WHEN w.direction = 'out' AND w.state IN ('returned', 'refused') THEN 'send return'
               WHEN w.direction = 'in' AND w.state = 'sent' THEN 'arrive'
               WHEN w.direction = 'in' AND w.state = 'accepted' THEN 'arrive accept'
               WHEN w.direction = 'in' AND w.state = 'returned' THEN 'arrive return'
               WHEN w.direction = 'in' AND w.state = 'refused' THEN ''
               ELSE '?' END AS expected,
           w.direction || ' ' || w.state || ': ' || TRIM(
               CASE WHEN w.send_entry_id IS NOT NULL THEN 'send' ELSE '' END
               || CASE WHEN w.arrive_entry_id IS NOT NULL THEN ' arrive' ELSE '' END
               || CASE WHEN w.accept_entry_id IS NOT NULL THEN ' accept' ELSE '' END
               || CASE WHEN w.return_entry_id IS NOT NULL THEN ' return' ELSE '' END) AS found
    FROM wallet_transfers w WHERE {wallet_transfers}
) x WHERE x.expected <> x.found
"""

#: Each region's pending account holds exactly the transfers of its payers still waiting here for the relative,
#: local or come from another province (the whole table, any day).
WALLET_PENDING = """
WITH owed AS (SELECT region_code, SUM(amount_fen) AS fen FROM wallet_transfers
              WHERE state = 'sent' AND direction IN ('local', 'in') GROUP BY region_code),
held AS (SELECT SUBSTR(a.system_key, 16) AS region_code, COALESCE(SUM(p.amount_fen), 0) AS fen
         FROM accounts a LEFT JOIN postings p ON p.account_id = a.id WHERE a.fund = 'wallet_pending'
         GROUP BY a.system_key)
SELECT region_code, 'the pending account against the transfers still sent' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM (SELECT region_code, fen AS expected, 0 AS found FROM owed UNION ALL SELECT region_code, 0, fen FROM held) x
GROUP BY region_code HAVING SUM(expected) <> SUM(found)
"""

#: HN-9: the transit account towards each other province holds what was sent there and not given back (sent or
#: accepted); the one from each other province is short of what arrived from there and was not given back.
WALLET_TRANSIT = """
WITH owed AS (
    SELECT 'wallet_transit_out:' || counterpart_province AS account, SUM(amount_fen) AS fen FROM wallet_transfers
    WHERE direction = 'out' AND state IN ('sent', 'accepted') GROUP BY counterpart_province
    UNION ALL
    SELECT 'wallet_transit_in:' || counterpart_province, -SUM(amount_fen) FROM wallet_transfers
    WHERE direction = 'in' AND state IN ('sent', 'accepted') GROUP BY counterpart_province
),
held AS (SELECT a.system_key AS account, COALESCE(SUM(p.amount_fen), 0) AS fen
         FROM accounts a LEFT JOIN postings p ON p.account_id = a.id
         WHERE a.fund IN ('wallet_transit_out', 'wallet_transit_in') GROUP BY a.system_key)
SELECT account, 'the transit account against the transfers between the provinces' AS what, 'fen' AS unit,
       SUM(expected) AS expected, SUM(found) AS found
FROM (SELECT account, fen AS expected, 0 AS found FROM owed UNION ALL SELECT account, 0, fen FROM held) x
GROUP BY account HAVING SUM(expected) <> SUM(found)
"""

CONTRIBUTION_SIDES = """
WITH chosen AS (SELECT c.id, c.entry_id, c.amount_fen, c.payer_id FROM contribution_payments c WHERE {contributions}),
sides AS (
    SELECT ch.id,
           SUM(CASE WHEN a.person_id = ch.payer_id THEN p.amount_fen ELSE 0 END) AS payer,
           SUM(CASE WHEN a.fund = 'resident_fund' THEN p.amount_fen ELSE 0 END) AS fund,
           SUM(CASE WHEN a.person_id = ch.payer_id OR a.fund = 'resident_fund' THEN 0 ELSE 1 END) AS other
    FROM chosen ch JOIN postings p ON p.entry_id = ch.entry_id JOIN accounts a ON a.id = p.account_id GROUP BY ch.id
)
SELECT ch.id AS contribution_id, 'its entry: out of the payer''s accounts' AS what, 'fen' AS unit,
       -ch.amount_fen AS expected, COALESCE(x.payer, 0) AS found
FROM chosen ch LEFT JOIN sides x ON x.id = ch.id WHERE COALESCE(x.payer, 0) <> -ch.amount_fen
UNION ALL
SELECT ch.id, 'its entry: into the resident fund', 'fen', ch.amount_fen, COALESCE(x.fund, 0)
FROM chosen ch LEFT JOIN sides x ON x.id = ch.id WHERE COALESCE(x.fund, 0) <> ch.amount_fen
UNION ALL
SELECT ch.id, 'its entry: postings on other accounts', 'count', 0, x.other
FROM chosen ch JOIN sides x ON x.id = ch.id WHERE x.other > 0
"""

# -- the national interface (NI-4, NI-5) ----------------------------------------------------------------

NATIONAL_FUND = """
WITH chosen AS (
    SELECT n.id, n.fund_entry_id, n.fund_pay_fen, owed.id AS owed_id
    FROM ni_settlements n """ + _OWED.format(alias="n") + """ WHERE {national}
),
sides AS (
    SELECT c.id,
           SUM(CASE WHEN p.account_id = c.owed_id THEN p.amount_fen ELSE 0 END) AS owed,
           SUM(CASE WHEN a.fund = 'pooled_fund' THEN p.amount_fen ELSE 0 END) AS fund,
           SUM(CASE WHEN p.account_id = c.owed_id OR a.fund = 'pooled_fund' THEN 0 ELSE 1 END) AS other
    FROM chosen c JOIN postings p ON p.entry_id = c.fund_entry_id JOIN accounts a ON a.id = p.account_id GROUP BY c.id
)
SELECT c.id AS ni_settlement_id, 'fund_pay_sumamt posted to what the institution is owed' AS what, 'fen' AS unit,
       c.fund_pay_fen AS expected, COALESCE(x.owed, 0) AS found
FROM chosen c LEFT JOIN sides x ON x.id = c.id WHERE COALESCE(x.owed, 0) <> c.fund_pay_fen
UNION ALL
SELECT c.id, 'fund_pay_sumamt posted out of the pooled fund', 'fen', -c.fund_pay_fen, COALESCE(x.fund, 0)
FROM chosen c LEFT JOIN sides x ON x.id = c.id WHERE COALESCE(x.fund, 0) <> -c.fund_pay_fen
UNION ALL
SELECT c.id, 'its entry: postings on other accounts', 'count', 0, x.other
FROM chosen c JOIN sides x ON x.id = c.id WHERE x.other > 0
"""

NATIONAL_CORE = """
SELECT n.id AS ni_settlement_id, s.id AS settlement_id, CAST(NULL AS BIGINT) AS refund_id, 'acct_pay = own + mutual aid' AS what,
       'fen' AS unit, s.own_fen + s.mutual_aid_fen AS expected, n.acct_pay_fen AS found
FROM ni_settlements n JOIN settlements s ON s.id = n.core_settlement_id
WHERE {national} AND n.kind = 'settlement' AND n.acct_pay_fen <> s.own_fen + s.mutual_aid_fen
UNION ALL
SELECT n.id, s.id, CAST(NULL AS BIGINT), 'acct_mulaid_pay = mutual aid', 'fen', s.mutual_aid_fen, n.acct_mulaid_fen
FROM ni_settlements n JOIN settlements s ON s.id = n.core_settlement_id
WHERE {national} AND n.kind = 'settlement' AND n.acct_mulaid_fen <> s.mutual_aid_fen
UNION ALL
SELECT n.id, s.id, CAST(NULL AS BIGINT), 'psn_part_amt = the amount settled', 'fen', s.amount_fen, n.psn_part_fen
FROM ni_settlements n JOIN settlements s ON s.id = n.core_settlement_id
WHERE {national} AND n.kind = 'settlement' AND n.psn_part_fen <> s.amount_fen
UNION ALL
SELECT n.id, r.settlement_id, r.id, 'acct_pay = minus what went back to accounts', 'fen', r.cash_fen - r.amount_fen,
       n.acct_pay_fen
FROM ni_settlements n JOIN refunds r ON r.id = n.core_refund_id
WHERE {national} AND n.kind = 'cancellation' AND n.acct_pay_fen <> r.cash_fen - r.amount_fen
UNION ALL
SELECT n.id, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), 'acct_pay without a core settlement or refund', 'fen', 0, n.acct_pay_fen
FROM ni_settlements n
WHERE {national} AND n.acct_pay_fen <> 0
  AND ((n.kind = 'settlement' AND n.core_settlement_id IS NULL) OR (n.kind = 'cancellation' AND n.core_refund_id IS NULL))
"""

# -- per institution and day (NI-6) ----------------------------------------------------------------------

#: The entry kinds that post to what an institution is owed: account payments, and the pooled fund's share.
ACCOUNT_KINDS, FUND_KINDS = ("settlement", "refund"), ("pooled_fund", "pooled_fund_back")
_IN = "IN ({})".format

INSTITUTION_DAYS = f"""
WITH owed AS (
    SELECT i.id AS institution_id, a.id AS account_id
    FROM institutions i JOIN accounts a ON a.system_key = 'institution:' || i.code
    WHERE {{days_institution}}
),
books AS (
    SELECT s.institution_id, s.settled_on AS day, s.own_fen + s.mutual_aid_fen AS acct, 0 AS fund,
           CASE WHEN s.own_fen + s.mutual_aid_fen <> 0 THEN 1 ELSE 0 END AS settled, 0 AS refunded
    FROM settlements s WHERE {{days_settled}}
    UNION ALL
    SELECT s.institution_id, r."on", r.cash_fen - r.amount_fen, 0, 0, CASE WHEN r.amount_fen <> r.cash_fen THEN 1 ELSE 0 END
    FROM refunds r JOIN settlements s ON s.id = r.settlement_id WHERE {{days_refunded}}
    UNION ALL
    SELECT n.institution_id, n.setl_on, 0, n.fund_pay_fen, 0, 0 FROM ni_settlements n
    WHERE {{days_national}} AND n.fund_pay_fen <> 0
),
posted AS (
    SELECT o.institution_id, e."on" AS day,
           SUM(CASE WHEN e.kind {_IN(", ".join(f"'{k}'" for k in ACCOUNT_KINDS))} THEN p.amount_fen ELSE 0 END) AS acct,
           SUM(CASE WHEN e.kind {_IN(", ".join(f"'{k}'" for k in FUND_KINDS))} THEN p.amount_fen ELSE 0 END) AS fund,
           SUM(CASE WHEN e.kind = 'settlement' THEN 1 ELSE 0 END) AS settled,
           SUM(CASE WHEN e.kind = 'refund' THEN 1 ELSE 0 END) AS refunded,
           SUM(CASE WHEN e.kind {_IN(", ".join(f"'{k}'" for k in ACCOUNT_KINDS + FUND_KINDS))} THEN 0
                    ELSE p.amount_fen END) AS other
    FROM owed o JOIN postings p ON p.account_id = o.account_id JOIN ledger_entries e ON e.id = p.entry_id
    WHERE {{days_posted}}
    GROUP BY o.institution_id, e."on"
),
sides AS (
    SELECT institution_id, day, acct AS b_acct, fund AS b_fund, settled AS b_settled, refunded AS b_refunded,
           0 AS l_acct, 0 AS l_fund, 0 AS l_settled, 0 AS l_refunded, 0 AS l_other FROM books
    UNION ALL
    SELECT institution_id, day, 0, 0, 0, 0, acct, fund, settled, refunded, other FROM posted
)
SELECT x.institution_id, i.code AS institution, x.day, owed.id AS account_id,
       SUM(b_acct) AS b_acct, SUM(b_fund) AS b_fund, SUM(b_settled) AS b_settled, SUM(b_refunded) AS b_refunded,
       SUM(l_acct) AS l_acct, SUM(l_fund) AS l_fund, SUM(l_settled) AS l_settled, SUM(l_refunded) AS l_refunded,
       SUM(l_other) AS l_other, COUNT(*) OVER () AS differences
FROM sides x JOIN institutions i ON i.id = x.institution_id
LEFT JOIN accounts owed ON owed.system_key = 'institution:' || i.code
GROUP BY x.institution_id, i.code, x.day, owed.id
HAVING SUM(b_acct) <> SUM(l_acct) OR SUM(b_fund) <> SUM(l_fund) OR SUM(b_settled) <> SUM(l_settled)
    OR SUM(b_refunded) <> SUM(l_refunded) OR SUM(l_other) <> 0
ORDER BY x.day, i.code
LIMIT :limit
"""

#: The rows of one institution's day whose postings to what it is owed are not what they say.
DAY_SETTLEMENTS = """
SELECT s.id FROM settlements s
LEFT JOIN ledger_entries e ON e.id = s.entry_id AND e."on" = :day
LEFT JOIN postings p ON p.entry_id = e.id AND p.account_id = :account_id
WHERE s.institution_id = :institution_id AND s.settled_on = :day
  AND s.own_fen + s.mutual_aid_fen <> COALESCE(p.amount_fen, 0)
ORDER BY s.id LIMIT :limit
"""
DAY_REFUNDS = """
SELECT r.id FROM refunds r JOIN settlements s ON s.id = r.settlement_id
LEFT JOIN ledger_entries e ON e.id = r.entry_id AND e."on" = :day
LEFT JOIN postings p ON p.entry_id = e.id AND p.account_id = :account_id
WHERE s.institution_id = :institution_id AND r."on" = :day AND r.cash_fen - r.amount_fen <> COALESCE(p.amount_fen, 0)
ORDER BY r.id LIMIT :limit
"""
DAY_NATIONAL = """
SELECT n.id FROM ni_settlements n
LEFT JOIN ledger_entries e ON e.id = n.fund_entry_id AND e."on" = :day
LEFT JOIN postings p ON p.entry_id = e.id AND p.account_id = :account_id
WHERE n.institution_id = :institution_id AND n.setl_on = :day AND n.fund_pay_fen <> COALESCE(p.amount_fen, 0)
ORDER BY n.id LIMIT :limit
"""
#: Entries of the day on the institution's account that no row of that institution and day owns.
DAY_ENTRIES = """
SELECT DISTINCT e.id FROM postings p JOIN ledger_entries e ON e.id = p.entry_id
WHERE p.account_id = :account_id AND e."on" = :day
  AND NOT EXISTS (SELECT 1 FROM settlements s WHERE e.kind = 'settlement' AND s.id = e.ref_id AND s.entry_id = e.id
                  AND s.institution_id = :institution_id AND s.settled_on = :day)
  AND NOT EXISTS (SELECT 1 FROM refunds r JOIN settlements s ON s.id = r.settlement_id
                  WHERE e.kind = 'refund' AND r.id = e.ref_id AND r.entry_id = e.id AND r."on" = :day
                  AND s.institution_id = :institution_id)
  AND NOT EXISTS (SELECT 1 FROM ni_settlements n WHERE e.kind IN ('pooled_fund', 'pooled_fund_back')
                  AND n.id = e.ref_id AND n.fund_entry_id = e.id AND n.setl_on = :day
                  AND n.institution_id = :institution_id)
ORDER BY e.id LIMIT :limit
"""
