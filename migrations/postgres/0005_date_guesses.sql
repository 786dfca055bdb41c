-- A rebuilt entry whose date was read in a guessed zone (date_trust 1 or 4) keeps the
-- wall-clock time its attribution showed (unix seconds as if it were UTC) and the address of
-- the person in whose zone it was shown, so it is read again when that person's zone is
-- learned (people.utc_offset). NULL on every other row.
-- Kept equivalent to migrations/sqlite/0005_date_guesses.sql.
ALTER TABLE messages ADD COLUMN date_local BIGINT;
ALTER TABLE messages ADD COLUMN date_shown_by TEXT;
CREATE INDEX messages_date_shown_by ON messages(date_shown_by) WHERE date_shown_by IS NOT NULL;
