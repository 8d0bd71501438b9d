"""The portal's notice list: the (published_at, id) keyset index and full-text search of notices

SQLite: an FTS5 table with the trigram tokenizer over the tenders' title and notice text (external content, kept
by triggers). PostgreSQL: a GIN expression index over the bigrams of the same text (``ggzy_bigrams``), searched
as phrases of bigrams — Chinese has no spaces, and a two-character word is the commonest query.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tenders_published_at_id", "tenders", ["published_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # Lower case without spaces and punctuation (as ggzy.portal.search.normalise), then every two-character window
        # as the pairs from the first character and from the second: "abcde" gives "ab cd e bc de". Two regular
        # expressions, not a loop per character (which took a quarter of an hour to index 100,000 notices).
        op.execute(
            "CREATE FUNCTION ggzy_bigrams(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT regexp_replace(s, '(..)', '\\1 ', 'g') || ' ' || regexp_replace(substr(s, 2), '(..)', '\\1 ', 'g') "
            "FROM (SELECT regexp_replace(lower(t), "
            "'[[:space:][:punct:]，。、；：？！“”‘’（）《》【】—…·]+', '', 'g') AS s) n $$"
        )
        op.execute(
            "CREATE INDEX ix_tenders_notice_bigrams ON tenders USING gin "
            "(to_tsvector('simple'::regconfig, ggzy_bigrams(title || ' ' || notice_text))) "
            "WHERE published_at IS NOT NULL"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE notice_search USING fts5("
            "title, notice_text, content='tenders', content_rowid='id', tokenize='trigram')"
        )
        op.execute("INSERT INTO notice_search(notice_search) VALUES ('rebuild')")
        op.execute(
            "CREATE TRIGGER notice_search_insert AFTER INSERT ON tenders BEGIN "
            "INSERT INTO notice_search(rowid, title, notice_text) VALUES (new.id, new.title, new.notice_text); END"
        )
        op.execute(
            "CREATE TRIGGER notice_search_delete AFTER DELETE ON tenders BEGIN "
            "INSERT INTO notice_search(notice_search, rowid, title, notice_text) "
            "VALUES ('delete', old.id, old.title, old.notice_text); END"
        )
        op.execute(
            "CREATE TRIGGER notice_search_update AFTER UPDATE OF title, notice_text ON tenders BEGIN "
            "INSERT INTO notice_search(notice_search, rowid, title, notice_text) "
            "VALUES ('delete', old.id, old.title, old.notice_text); "
            "INSERT INTO notice_search(rowid, title, notice_text) VALUES (new.id, new.title, new.notice_text); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tenders_notice_bigrams")
        op.execute("DROP FUNCTION ggzy_bigrams(text)")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER notice_search_{trigger}")
        op.execute("DROP TABLE notice_search")
    op.drop_index("ix_tenders_published_at_id", "tenders")
