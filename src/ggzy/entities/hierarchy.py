"""The centre hierarchy (统分结合, decision 0041): province → city → county branch, by ``Centre.parent_id``.

One function says which centres a centre oversees: :func:`centre_scope`, the centre and every centre below it (its
cities and their counties for a province; its counties for a city; itself for a county), never a sibling nor a
parent. What goes down the hierarchy (reading, supervising: ``ggzy.projects.access.visible_projects``) asks it;
what stays with the project's own centre (reviewing, drawing the committee, hosting the opening, the venues) does
not (``ggzy.projects.access.staff_centres``). :func:`centre_scope_query` is the same scope as a query another
domain filters by, without reading this table itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from ggzy.entities.models import Centre


def centre_scope_query(centre_ids: Iterable[int]) -> Select[int]:
    """The ids of ``centre_ids`` and of every centre below them (a recursive query: SQLite and PostgreSQL)."""
    roots = sorted(set(centre_ids))
    if not roots:
        return select(Centre.id).where(false())
    tree = select(Centre.id.label("id")).where(Centre.id.in_(roots)).cte("centre_tree", recursive=True, nesting=True)
    below = select(Centre.id).join(tree, Centre.parent_id == tree.c.id)
    tree = tree.union(below)
    return select(tree.c.id)


def centre_scope(db: Session, centre_id: int | Iterable[int]) -> set[int]:
    """The centre (or centres) and all its descendants: what its staff see and supervise."""
    ids = [centre_id] if isinstance(centre_id, int) else list(centre_id)
    return set(db.scalars(centre_scope_query(ids)))


def children_of(db: Session, centre_id: int) -> list[Centre]:
    """The centres directly below a centre, by region code."""
    query = select(Centre).where(Centre.parent_id == centre_id).order_by(Centre.region_code, Centre.id)
    return list(db.scalars(query))


def ancestors_of(db: Session, centre_id: int) -> list[Centre]:
    """The centres above a centre, nearest first (a county's city, then the province)."""
    found: list[Centre] = []
    centre = db.get(Centre, centre_id)
    while centre is not None and centre.parent_id is not None and len(found) < 8:
        centre = db.get(Centre, centre.parent_id)
        if centre is not None:
            found.append(centre)
    return found
