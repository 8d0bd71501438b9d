"""What credit registers with the layers below it (decision 0040), installed by the composition root (ggzy.wiring):
its screens on the steps of entities, tendering, experts and awards (``ggzy.core.screening``)."""

from __future__ import annotations

from ggzy.core import screening
from ggzy.credit import service


def register() -> None:
    screening.install(entity=service.screen_entity, experts=service.screen_experts)
