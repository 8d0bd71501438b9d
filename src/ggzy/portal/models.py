"""Indexes the portal's public reads need on other domains' tables (declared here so the schema test sees them).

The full-text index is not a table of the models: on SQLite it is an FTS5 table with the trigram tokenizer kept by
triggers, on PostgreSQL an expression index over bigrams; both are made by migration 0008 (see
``ggzy.portal.search``).
"""

from __future__ import annotations

from sqlalchemy import Index

from ggzy.tendering.models import Tender

# The notice list: newest first, paged by (published_at, id) keyset; also the date-range filter.
notices_by_publication = Index("ix_tenders_published_at_id", Tender.published_at, Tender.id)
# Today's openings on the home page are found by bid_deadline (indexed already by tendering).
