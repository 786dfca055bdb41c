-- Thread-Index roots are reference keys of their thread since 0003 (`thread-index:ROOT` in
-- thread_refs); the threads column and its index were written but never read again.
-- Kept equivalent to migrations/sqlite/0004_drop_thread_index_root.sql.
DROP INDEX threads_group_thread_index;
ALTER TABLE threads DROP COLUMN thread_index_root;
