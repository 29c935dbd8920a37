-- The analytics tables the shipped topologies write with `to postgres`.
-- Idempotent: run it as often as you like (psql -f sql/analytics.sql).
--
-- Every table has the PRIMARY KEY its topology upserts by: the sink writes
-- INSERT ... ON CONFLICT (key) DO UPDATE, which needs exactly that unique
-- constraint. Columns a row does not carry (processed_at) keep their
-- default. Timestamps are timestamptz; the sink sends them in UTC. The
-- sink's positions live in eddy_sink_offsets, which it creates itself.

-- revenue: tumbling 5-minute and 1-hour windows of completed orders; both
-- sizes share the table, told apart by period ('5m' or '1h').
CREATE TABLE IF NOT EXISTS revenue_analytics (
    period          VARCHAR(8)     NOT NULL,
    window_start    TIMESTAMPTZ    NOT NULL,
    window_end      TIMESTAMPTZ    NOT NULL,
    total_revenue   DECIMAL(15,2)  NOT NULL,
    order_count     INTEGER        NOT NULL,
    avg_order_value DECIMAL(10,2),
    top_category    VARCHAR(100),
    processed_at    TIMESTAMPTZ    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (period, window_start)
);

-- sessions: one row per user session (30-minute inactivity gap).
CREATE TABLE IF NOT EXISTS user_activity (
    user_id         INTEGER        NOT NULL,
    session_start   TIMESTAMPTZ    NOT NULL,
    session_end     TIMESTAMPTZ,
    page_views      INTEGER        NOT NULL DEFAULT 0,
    orders_placed   INTEGER        NOT NULL DEFAULT 0,
    total_spent     DECIMAL(10,2)  NOT NULL DEFAULT 0,
    last_activity   TIMESTAMPTZ,
    PRIMARY KEY (user_id, session_start)
);

-- inventory alerts: one row per change of a product's stock level.
CREATE TABLE IF NOT EXISTS inventory_alerts (
    product_id      INTEGER        NOT NULL,
    product_name    VARCHAR(255),
    current_stock   INTEGER,
    threshold       INTEGER,
    alert_level     VARCHAR(20)    NOT NULL
                    CHECK (alert_level IN ('low', 'critical', 'out_of_stock')),
    created_at      TIMESTAMPTZ    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (product_id, created_at)
);

-- fraud alerts of both agents; alert_type names the agent ('anomaly' or
-- 'velocity'), so one transaction may be flagged once by each.
CREATE TABLE IF NOT EXISTS fraud_alerts (
    transaction_id  INTEGER        NOT NULL,
    alert_type      VARCHAR(20)    NOT NULL,
    user_id         INTEGER        NOT NULL,
    amount          DECIMAL(10,2)  NOT NULL,
    merchant        VARCHAR(255),
    location        VARCHAR(255),
    score           INTEGER,
    reason          TEXT,
    created_at      TIMESTAMPTZ    NOT NULL,
    processed_at    TIMESTAMPTZ    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (transaction_id, alert_type)
);

-- temperature: average per sensor and window.
CREATE TABLE IF NOT EXISTS temperature_averages (
    sensor_id       INTEGER        NOT NULL,
    office          VARCHAR(64),
    window_start    TIMESTAMPTZ    NOT NULL,
    window_end      TIMESTAMPTZ    NOT NULL,
    avg_temperature DECIMAL(12,6),
    readings        INTEGER        NOT NULL,
    min_temperature DECIMAL(5,2),
    max_temperature DECIMAL(5,2),
    PRIMARY KEY (sensor_id, window_start)
);
