-- payhub-ledger schema (SQLite). Times are Unix milliseconds; money is integer fen.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_trade_no TEXT,
    -- Refunds sent or done: never above the payment.
    refund_reserved_fen INTEGER NOT NULL DEFAULT 0
        CHECK (refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen),
    review_reason TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    sweep_token TEXT,
    sweep_until_ms INTEGER,
    UNIQUE (provider, account, order_no)
);
CREATE INDEX payments_sweep ON payments (account, state, created_ms);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    refund_no TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    state TEXT NOT NULL,
    provider_refund_no TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (provider, account, refund_no),
    FOREIGN KEY (provider, account, order_no) REFERENCES payments (provider, account, order_no)
);

CREATE TABLE notify_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    source TEXT NOT NULL,
    raw_body BLOB NOT NULL,
    headers TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    verification TEXT NOT NULL,
    -- NULL for a notify that did not verify (kept, never processed).
    dedup_key TEXT,
    receipts INTEGER NOT NULL DEFAULT 1,
    processed_ms INTEGER,
    last_error TEXT,
    claim_token TEXT,
    claim_until_ms INTEGER,
    UNIQUE (account, dedup_key)
);

CREATE TABLE transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    refund_no TEXT,
    from_state TEXT,
    to_state TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('create', 'notify', 'query', 'sweep', 'manual')),
    at_ms INTEGER NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX transitions_order ON transitions (provider, account, order_no);

CREATE TRIGGER transitions_no_update BEFORE UPDATE ON transitions
BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;
CREATE TRIGGER transitions_no_delete BEFORE DELETE ON transitions
BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;
