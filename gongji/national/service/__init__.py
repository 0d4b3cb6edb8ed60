"""The national platform interface's transactions (NI-1..NI-6), answered by the core services.

One message is one transaction of the database: the envelope is checked, the message id is looked up
(a repeat gets the first answer back and changes nothing), the transaction's handler reads its input
node by the standard's table and calls the core (the same settlement, refund and ledger code the HTTP
API uses), and the answer is stored with the change it reports. A refused message changes nothing.

Money (NI-4): of a bill (``medfee_sumamt``) the region's pooled fund pays its outpatient share
(:mod:`gongji.national.pooling`); the rest is the person's part (``psn_part_amt``). With
``acct_used_flag`` 1 that part is settled by the core exactly as an HTTP settlement: the patient's own
account first, then the payers bound to him in the order of the region's rules, then cash. So
``acct_pay`` is everything personal accounts paid, mutual aid included (``acct_mulaid_pay``), and
``psn_cash_pay`` is what is left. The HIS names no payer: the bindings decide.
"""

from gongji.national.service.envelope import Answer, check_envelope, fingerprint, reference, run
from gongji.national.service.message import Message
from gongji.national.service.transactions import TRANSACTIONS, Transaction

__all__ = ["TRANSACTIONS", "Answer", "Message", "Transaction", "check_envelope", "fingerprint", "reference", "run"]
