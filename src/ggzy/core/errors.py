"""Domain errors and their RFC 9457 problem+json form.

Every error a user can meet is a subclass of :class:`DomainError` with a stable ``code``, an HTTP status, and a
message in Chinese and in English. Services raise them; one handler renders them (``ggzy.core.problems``). A code,
once published, never changes: other systems match on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:ggzy:problem:"


class DomainError(Exception):
    """A refusal the user can understand and act on.

    Subclasses set ``code``, ``status`` and the two message templates; templates use ``str.format`` fields filled
    from the keyword arguments given when the error is raised (``field`` names the offending input, if any).
    """

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    message_zh: ClassVar[str] = "请求无法处理"
    message_en: ClassVar[str] = "The request cannot be processed"

    def __init__(self, *, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        super().__init__(self.detail_en)

    @property
    def detail_zh(self) -> str:
        return self.message_zh.format(field=self.field, **self.params)

    @property
    def detail_en(self) -> str:
        return self.message_en.format(field=self.field, **self.params)

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.message_en.split("{")[0].strip(" :") or self.code,
            "status": self.status,
            "code": self.code,
            "detail": self.detail_en,
            "message_zh": self.detail_zh,
            "message_en": self.detail_en,
        }
        if self.field is not None:
            body["field"] = self.field
        if instance is not None:
            body["instance"] = instance
        return body


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    message_zh = "字段 {field} 无效：{reason_zh}"
    message_en = "Field {field} is invalid: {reason_en}"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message_zh = "未找到{what_zh}"
    message_en = "{what_en} not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message_zh = "与当前状态冲突：{reason_zh}"
    message_en = "Conflicts with the current state: {reason_en}"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message_zh = "请先登录"
    message_en = "Authentication is required"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message_zh = "无权执行此操作（需要权限 {permission}）"
    message_en = "You are not allowed to do this (permission {permission} required)"
