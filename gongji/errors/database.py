"""Database availability: failover and restarts (gongji.db)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "DATABASE_UNAVAILABLE": ErrorSpec(
        503,
        "数据库暂时无法连接（可能正在切换主库），本请求未办理，没有任何变动。请在 {retry_after} 秒后用相同的 Idempotency-Key 重试；如持续失败请联系运维。",
        "The database cannot be reached for the moment (a failover may be under way); this request was not carried "
        "out and nothing changed. Retry in {retry_after} seconds with the same Idempotency-Key; if it keeps "
        "failing, contact the operators.",
    ),
    "DATABASE_OUTCOME_UNKNOWN": ErrorSpec(
        503,
        "提交时与数据库的连接中断，本请求可能已办理，也可能未办理。请用相同的 Idempotency-Key 重试：已办理的会返回原结果，不会重复扣款。",
        "The connection to the database broke while the request was being committed, so it may or may not have "
        "been carried out. Retry with the same Idempotency-Key: if it was done, the retry returns the first "
        "answer and never pays twice.",
    ),
}
