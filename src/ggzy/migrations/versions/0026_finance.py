"""Money (decision 0031): the books in double entry, the bidders' deposit sub-accounts, the bank's credits, the
centre's alerts; a tender's bid deposit and bid validity (招标投标法实施条例 第25条、第26条); an entity's basic account.

Postings and their lines are append-only, and the database refuses a complete posting whose lines do not sum to zero:
a posting states how many lines it has, each line its number, and the last line's insertion checks the sum (on
PostgreSQL a deferred trigger also refuses, at commit, a posting left with fewer lines than it states).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_APPEND_ONLY = ("finance_postings", "finance_posting_lines")


def _tables() -> None:
    op.create_table(
        "finance_accounts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("tender_id", _ID, nullable=True),
        sa.Column("entity_id", _ID, nullable=True),
        sa.Column("opened_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_finance_accounts_entity_id_entities")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_finance_accounts_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_finance_accounts_key")),
    )
    with op.batch_alter_table("finance_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_accounts_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_accounts_purpose"), ["purpose"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_accounts_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "finance_postings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("posted_at", _TIME, nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.CheckConstraint("line_count >= 2", name=op.f("ck_finance_postings_two_lines_at_least")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_finance_postings_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_postings")),
    )
    with op.batch_alter_table("finance_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_postings_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_postings_posted_at"), ["posted_at"], unique=False)

    op.create_table(
        "finance_posting_lines",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("posting_id", _ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_finance_posting_lines_amount_not_zero")),
        sa.CheckConstraint("line_no >= 1", name=op.f("ck_finance_posting_lines_line_no_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["finance_accounts.id"], name=op.f("fk_finance_posting_lines_account_id_finance_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["finance_postings.id"], name=op.f("fk_finance_posting_lines_posting_id_finance_postings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_posting_lines")),
        sa.UniqueConstraint("posting_id", "line_no", name=op.f("uq_finance_posting_lines_posting_id_line_no")),
    )
    with op.batch_alter_table("finance_posting_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_posting_lines_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_posting_lines_posting_id"), ["posting_id"], unique=False)

    op.create_table(
        "finance_sub_accounts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("opened_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["finance_accounts.id"], name=op.f("fk_finance_sub_accounts_account_id_finance_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_finance_sub_accounts_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_finance_sub_accounts_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_sub_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_finance_sub_accounts_account_id")),
        sa.UniqueConstraint("number", name=op.f("uq_finance_sub_accounts_number")),
        sa.UniqueConstraint("reference", name=op.f("uq_finance_sub_accounts_reference")),
        sa.UniqueConstraint("tender_id", "entity_id", name=op.f("uq_finance_sub_accounts_tender_id_entity_id")),
    )
    with op.batch_alter_table("finance_sub_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_sub_accounts_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_sub_accounts_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "finance_credits",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("bank_txn_id", sa.String(length=64), nullable=False),
        sa.Column("sub_account_number", sa.String(length=40), nullable=False),
        sa.Column("sub_account_id", _ID, nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payer_account", sa.String(length=40), nullable=False),
        sa.Column("payer_name", sa.String(length=200), nullable=False),
        sa.Column("payer_bank", sa.String(length=200), nullable=False),
        sa.Column("payer_check", sa.String(length=24), nullable=False),
        sa.Column("booked_at", _TIME, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("posting_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["finance_postings.id"], name=op.f("fk_finance_credits_posting_id_finance_postings")
        ),
        sa.ForeignKeyConstraint(
            ["sub_account_id"],
            ["finance_sub_accounts.id"],
            name=op.f("fk_finance_credits_sub_account_id_finance_sub_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_credits")),
        sa.UniqueConstraint("bank_txn_id", name=op.f("uq_finance_credits_bank_txn_id")),
        sa.UniqueConstraint("posting_id", name=op.f("uq_finance_credits_posting_id")),
    )
    with op.batch_alter_table("finance_credits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_credits_sub_account_id"), ["sub_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_credits_sub_account_number"), ["sub_account_number"], unique=False)

    op.create_table(
        "finance_alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("centre_id", _ID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("credit_id", _ID, nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], name=op.f("fk_finance_alerts_centre_id_centres")),
        sa.ForeignKeyConstraint(
            ["credit_id"], ["finance_credits.id"], name=op.f("fk_finance_alerts_credit_id_finance_credits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_alerts")),
    )
    with op.batch_alter_table("finance_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_alerts_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_alerts_credit_id"), ["credit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_alerts_kind"), ["kind"], unique=False)


def _refund_orders() -> None:
    op.create_table(
        "finance_refund_orders",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("credit_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("ground", sa.String(length=16), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.Column("from_sub_account", sa.String(length=40), nullable=False),
        sa.Column("to_account", sa.String(length=40), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("to_bank", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_at", _TIME, nullable=False),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("bank_txn_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("posting_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["credit_id"], ["finance_credits.id"], name=op.f("fk_finance_refund_orders_credit_id_finance_credits")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_finance_refund_orders_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["finance_postings.id"], name=op.f("fk_finance_refund_orders_posting_id_finance_postings")
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_finance_refund_orders_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_refund_orders")),
        sa.UniqueConstraint("credit_id", name=op.f("uq_finance_refund_orders_credit_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_finance_refund_orders_idempotency_key")),
        sa.UniqueConstraint("posting_id", name=op.f("uq_finance_refund_orders_posting_id")),
    )
    with op.batch_alter_table("finance_refund_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_refund_orders_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_refund_orders_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_refund_orders_tender_id"), ["tender_id"], unique=False)


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION finance_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'postings are append-only'; END $$"
    )
    for table in _APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_refuse_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION finance_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION finance_refuse_change()"
        )
    # the last line of a posting checks that its lines sum to zero (an AFTER row trigger of a multi-row INSERT runs
    # at the end of the statement, when every line is there)
    op.execute(
        "CREATE FUNCTION finance_posting_line_check() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE expected integer; total numeric; counted integer; "
        "BEGIN "
        "SELECT line_count INTO expected FROM finance_postings WHERE id = NEW.posting_id; "
        "IF NEW.line_no > expected THEN RAISE EXCEPTION 'postings must balance: line % of %', NEW.line_no, expected; "
        "END IF; "
        "IF NEW.line_no = expected THEN "
        "SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, counted FROM finance_posting_lines "
        "WHERE posting_id = NEW.posting_id; "
        "IF total <> 0 OR counted <> expected THEN "
        "RAISE EXCEPTION 'postings must balance: lines sum to %', total; END IF; "
        "END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER finance_posting_lines_balanced AFTER INSERT ON finance_posting_lines "
        "FOR EACH ROW EXECUTE FUNCTION finance_posting_line_check()"
    )
    # at commit: a posting has all the lines it states, and they balance
    op.execute(
        "CREATE FUNCTION finance_posting_complete() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE total numeric; counted integer; "
        "BEGIN "
        "SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, counted FROM finance_posting_lines "
        "WHERE posting_id = NEW.id; "
        "IF total <> 0 OR counted <> NEW.line_count THEN "
        "RAISE EXCEPTION 'postings must balance: % lines of %, sum %', counted, NEW.line_count, total; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER finance_postings_complete AFTER INSERT ON finance_postings "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance_posting_complete()"
    )


def _sqlite_triggers() -> None:
    for table in _APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_refuse_{verb.lower()} BEFORE {verb} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END"
            )
    op.execute(
        "CREATE TRIGGER finance_posting_lines_in_count BEFORE INSERT ON finance_posting_lines "
        "WHEN NEW.line_no > (SELECT line_count FROM finance_postings WHERE id = NEW.posting_id) "
        "BEGIN SELECT RAISE(ABORT, 'postings must balance: a line beyond the posting''s count'); END"
    )
    op.execute(
        "CREATE TRIGGER finance_posting_lines_balanced AFTER INSERT ON finance_posting_lines "
        "WHEN NEW.line_no = (SELECT line_count FROM finance_postings WHERE id = NEW.posting_id) "
        "BEGIN SELECT RAISE(ABORT, 'postings must balance: the lines do not sum to zero') "
        "WHERE (SELECT COALESCE(SUM(amount_fen), 0) FROM finance_posting_lines WHERE posting_id = NEW.posting_id) <> 0 "
        "OR (SELECT COUNT(*) FROM finance_posting_lines WHERE posting_id = NEW.posting_id) <> NEW.line_no; END"
    )


def upgrade() -> None:
    _tables()
    _refund_orders()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    # plain ADD COLUMNs: on SQLite, a batch copy of ``tenders`` or ``entities`` would drop tables others refer to
    op.add_column("tenders", sa.Column("deposit_fen", sa.BigInteger(), nullable=True))
    op.add_column("tenders", sa.Column("bid_validity_days", sa.Integer(), nullable=True))
    op.add_column("entities", sa.Column("basic_account", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("entities", "basic_account")
    op.drop_column("tenders", "bid_validity_days")
    op.drop_column("tenders", "deposit_fen")
    for table in (
        "finance_refund_orders",
        "finance_alerts",
        "finance_credits",
        "finance_sub_accounts",
        "finance_posting_lines",
    ):
        op.drop_table(table)  # their triggers go with them
    op.drop_table("finance_postings")
    op.drop_table("finance_accounts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION finance_posting_complete()")
        op.execute("DROP FUNCTION finance_posting_line_check()")
        op.execute("DROP FUNCTION finance_refuse_change()")
