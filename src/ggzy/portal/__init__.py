"""The portal (一网): server-rendered pages over the same services, permissions and errors as the API.

Jinja2 templates, htmx and ECharts vendored under ``static/vendor`` (no CDN, no build step), Chinese first with
English from a Babel catalogue (``ggzy.portal.i18n``).

How to add pages (the live opening hall, the workspaces):

1. Write a router like ``ggzy.portal.pages.router``: ``APIRouter(route_class=PageRoute,
   default_response_class=HTMLResponse)``. Each route declares exactly one permission like an API endpoint
   (``Public``, or ``Depends(require(Permission.X))``; add a page permission to ``ggzy.core.permissions`` if none
   fits) and gets its row in ``tests/test_authorization_matrix.py``'s ``MATRIX`` (pages are in the OpenAPI
   document under the tag "portal (HTML pages)", so the matrix test finds them).
2. Return ``render(request, "your_page.html", {...})`` (``ggzy.portal.rendering``). The template starts with
   ``{% extends "base.html" %}`` and fills ``title`` and ``content`` (``head`` and ``scripts`` for extras, e.g.
   ``<script src="{{ static('vendor/htmx/hx-sse.min.js') }}" defer>``). Pass ``active`` to highlight a navigation
   item; add one to ``nav_items`` in ``templates/base.html``.
3. Raise the services' ``DomainError``s; ``install_page_errors`` shows them as an HTML page with the same code (also
   in the ``x-problem-code`` header) and zh/en messages. Never build error pages by hand.
4. Write Chinese in templates with ``{{ _("…") }}`` or ``{% trans %}``; add the English to
   ``locale/en/LC_MESSAGES/messages.po`` (``tests/portal/test_i18n.py`` lists what is missing).
5. Register the router in :func:`mount_portal`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ggzy.portal.page_cache import PageCache
from ggzy.portal.rendering import STATIC_DIR, STATIC_PREFIX, install_page_errors


def mount_portal(app: FastAPI) -> None:
    """The portal's pages at ``/`` and its static files; call after the app's problem handlers are installed."""
    from ggzy.portal.admin import router as admin_router
    from ggzy.portal.auction_bidder import router as auction_bidder_router
    from ggzy.portal.auction_hall import router as auction_hall_router
    from ggzy.portal.auctions_seller import router as auctions_seller_router
    from ggzy.portal.bidder import router as bidder_router
    from ggzy.portal.board import router as board_router
    from ggzy.portal.centre import router as centre_router
    from ggzy.portal.centre_auctions import router as centre_auctions_router
    from ggzy.portal.centre_statistics import router as centre_statistics_router
    from ggzy.portal.committee import router as committee_router
    from ggzy.portal.complaint_records import router as complaint_records_router
    from ggzy.portal.complaints import router as complaints_router
    from ggzy.portal.credit import router as credit_router
    from ggzy.portal.custody import router as custody_router
    from ggzy.portal.expert import router as expert_router
    from ggzy.portal.finance_pages import router as finance_router
    from ggzy.portal.host import router as host_router
    from ggzy.portal.inspections import router as inspections_router
    from ggzy.portal.institution import router as institution_router
    from ggzy.portal.live import router as live_router
    from ggzy.portal.money import router as money_router
    from ggzy.portal.negotiation import router as negotiation_router
    from ggzy.portal.oversight import router as oversight_router
    from ggzy.portal.owner import router as owner_router
    from ggzy.portal.pages import router as pages_router
    from ggzy.portal.prequalification import router as prequalification_router
    from ggzy.portal.session import router as session_router
    from ggzy.portal.site_records import router as site_records_router
    from ggzy.portal.supervision import router as supervision_router
    from ggzy.portal.tipoffs import router as tipoffs_router
    from ggzy.portal.workspace import router as workspace_router

    app.mount(STATIC_PREFIX, StaticFiles(directory=str(STATIC_DIR)), name="portal-static")
    app.include_router(pages_router)
    app.include_router(live_router)
    app.include_router(auction_hall_router)  # the live auction hall (decision 0050)
    app.include_router(session_router)
    app.include_router(workspace_router)
    app.include_router(bidder_router)
    app.include_router(auction_bidder_router)
    app.include_router(institution_router)
    app.include_router(money_router)  # performance security and fees (decision 0037)
    app.include_router(owner_router)
    app.include_router(auctions_seller_router)  # the seller's rights trades (decision 0051)
    app.include_router(centre_auctions_router)  # the centre staff's rights trades (decisions 0052, 0053)
    app.include_router(centre_statistics_router)  # before centre's, though no path of theirs overlaps
    app.include_router(centre_router)
    app.include_router(finance_router)
    app.include_router(expert_router)
    app.include_router(committee_router)
    app.include_router(host_router)
    app.include_router(negotiation_router)
    app.include_router(supervision_router)
    app.include_router(board_router)  # the live view and the watch list (decision 0046)
    app.include_router(inspections_router)
    app.include_router(oversight_router)
    app.include_router(tipoffs_router)
    app.include_router(site_records_router)  # on-site records (decision 0048)
    app.include_router(prequalification_router)
    app.include_router(complaints_router)
    app.include_router(complaint_records_router)  # investigation and hearings (decision 0047)
    app.include_router(custody_router)
    app.include_router(credit_router)
    app.include_router(admin_router)
    install_page_errors(app)
    app.add_middleware(PageCache, enabled=app.state.settings.portal_page_cache)
    app.state.portal_memo = {}  # ggzy.portal.page_cache.remembered
