-- Undo window (docs/POLICY.md): a post of a group with `undo_minutes` waits in `held` with
-- state 'pending' until publish_at, then the policy worker approves it; its author's CANCEL
-- reply sets 'cancelled'. NULL for mail held for a moderator. Kept equivalent to
-- migrations/sqlite/0013_undo_window.sql.
ALTER TABLE held ADD COLUMN publish_at BIGINT;
CREATE INDEX held_pending ON held(publish_at) WHERE state = 'pending';
