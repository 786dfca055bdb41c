-- Why a message's HTML part is not kept for display (it was over the HTML stage's bounds:
-- size, nesting depth, tag count); readers see the text part and this reason instead.
-- Kept equivalent to migrations/sqlite/0007_html_note.sql.
ALTER TABLE messages ADD COLUMN html_note TEXT;
