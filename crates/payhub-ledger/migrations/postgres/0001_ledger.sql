-- payhub-ledger schema (PostgreSQL). Times are Unix milliseconds; money is integer fen.
CREATE TABLE payments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_trade_no TEXT,
    -- Refunds sent or done: never above the payment.
    refund_reserved_fen BIGINT NOT NULL DEFAULT 0
        CHECK (refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen),
    review_reason TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    expires_ms BIGINT,
    sweep_token TEXT,
    sweep_until_ms BIGINT,
    UNIQUE (provider, account, order_no)
);
CREATE INDEX payments_sweep ON payments (account, state, created_ms);

CREATE TABLE refunds (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    refund_no TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    state TEXT NOT NULL,
    provider_refund_no TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (provider, account, refund_no),
    FOREIGN KEY (provider, account, order_no) REFERENCES payments (provider, account, order_no)
);

CREATE TABLE notify_inbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    source TEXT NOT NULL,
    raw_body BYTEA NOT NULL,
    headers TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    verification TEXT NOT NULL,
    -- NULL for a notify that did not verify (kept, never processed).
    dedup_key TEXT,
    receipts BIGINT NOT NULL DEFAULT 1,
    processed_ms BIGINT,
    last_error TEXT,
    claim_token TEXT,
    claim_until_ms BIGINT,
    UNIQUE (account, dedup_key)
);

CREATE TABLE transitions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT 'default',
    order_no TEXT NOT NULL,
    refund_no TEXT,
    from_state TEXT,
    to_state TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('create', 'notify', 'query', 'sweep', 'manual')),
    at_ms BIGINT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX transitions_order ON transitions (provider, account, order_no);

CREATE FUNCTION transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transitions are append-only';
END;
$$;
CREATE TRIGGER transitions_no_change BEFORE UPDATE OR DELETE ON transitions
FOR EACH ROW EXECUTE FUNCTION transitions_append_only();
