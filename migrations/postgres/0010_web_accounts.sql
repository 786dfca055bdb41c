-- Sign-in for the web view (docs/WEB.md): accounts, emailed sign-in links, sessions, personal
-- API tokens and OpenID Connect logins in progress. Every token is stored as the hex SHA-256 of
-- the random value handed out (256 random bits: a fast hash is enough, nothing to brute-force).
-- Kept equivalent to migrations/sqlite/0010_web_accounts.sql.

-- One row per person who has signed in at least once: signing in makes a non-user a user (the
-- digest counts it). `people` (addresses seen in mail) is left alone.
CREATE TABLE accounts (
    email            TEXT    PRIMARY KEY,   -- lower-cased
    name             TEXT,
    created_at       BIGINT  NOT NULL,      -- first sign-in, unix seconds
    last_sign_in_at  BIGINT  NOT NULL,
    -- Settings: the digest reads this (a user gets digests only when they ask for them).
    digest_opt_in    BOOLEAN NOT NULL DEFAULT FALSE
);

-- Emailed sign-in links: usable once (used_at), until expires_at, and only the newest of an
-- address (a new request sets cancelled_at on the older ones). Rows stay: they count requests
-- per address per hour.
CREATE TABLE sign_in_links (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    used_at       BIGINT,
    cancelled_at  BIGINT
);
CREATE INDEX sign_in_links_email ON sign_in_links(email, created_at);

-- Server-side sessions: the cookie holds the token, the row its hash. Revoked by setting
-- revoked_at (signing out, or from the settings page).
CREATE TABLE sessions (
    id            BIGSERIAL PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL REFERENCES accounts(email),
    -- Synchroniser token every form of this session carries (not a credential on its own).
    csrf          TEXT    NOT NULL,
    method        TEXT    NOT NULL,         -- link | oidc
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX sessions_email ON sessions(email);

-- Personal API tokens (`Authorization: Bearer …` on /api/v1).
CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL REFERENCES accounts(email),
    label         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_email ON api_tokens(email);

-- An OpenID Connect login between the redirect to the provider and its answer: the state's
-- hash, the nonce and the PKCE verifier, taken once.
CREATE TABLE oidc_logins (
    state_hash    TEXT    PRIMARY KEY,
    nonce         TEXT    NOT NULL,
    verifier      TEXT    NOT NULL,
    next          TEXT    NOT NULL,
    expires_at    BIGINT  NOT NULL
);

-- Groups a person follows (their home page and home feed).
CREATE TABLE follows (
    email       TEXT    NOT NULL,
    group_id    BIGINT  NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (email, group_id)
);

-- When a person last opened a thread and how many messages it had then: the thread is unread
-- on their home page while it has more (mail dates say when a mail was written, not when it
-- arrived, so they cannot tell).
CREATE TABLE thread_reads (
    email       TEXT    NOT NULL,
    seen_messages BIGINT  NOT NULL,
    thread_id   BIGINT  NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    read_at     BIGINT  NOT NULL,
    PRIMARY KEY (email, thread_id)
);

-- Per-person Atom feed tokens (a feed reader sends no cookie), revocable.
CREATE TABLE feed_tokens (
    id          BIGSERIAL PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    email       TEXT    NOT NULL REFERENCES accounts(email),
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);

-- A person's page lists what they published, newest first.
CREATE INDEX messages_author ON messages(author_email, date);
