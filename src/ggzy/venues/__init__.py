"""Venues and their bookings (场地预约): a centre's opening rooms, evaluation rooms and remote-evaluation halls.

A domain of its own, above ``experts`` in DESIGN §3's layers, with the domain's usual files. A booking is for a
tender, so this package reads tenders through ``ggzy.tendering.service`` (its read-model functions, never its
tables) and the committee through ``ggzy.experts.service``; nothing below it imports it (tests/test_import_rules.py).

- ``rules``: pure checks (spans, kinds, the opening at the deadline, seats).
- ``service``: the only code that changes venues and bookings, each change with its event.
- ``access``: who may manage a centre's venues and read a tender's bookings.
- ``api``: the ``/api/v1`` endpoints; the centre staff's page is ``ggzy.portal.centre``.

Where a tender is evaluated is not public (招标投标法 第38条: the evaluation is kept confidential): evaluation
bookings are shown to the centre's staff and to the tender's owner and agent only, and their events are undisclosed
in the public ledger.
"""
