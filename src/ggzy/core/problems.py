"""One handler renders every error as RFC 9457 problem+json (DESIGN §4.6)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from ggzy.core.errors import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, DomainError


class FieldProblem(BaseModel):
    field: str
    message_en: str
    message_zh: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with ggzy's stable ``code`` and messages in Chinese and English."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    message_zh: str
    message_en: str
    field: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None


def problem_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_CONTENT_TYPE)


def problem_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problems an endpoint can return, with their codes."""
    by_status: dict[int, list[type[DomainError]]] = {}
    declared: tuple[type[DomainError], ...] = (*errors, ValidationProblem)
    for error in declared:
        by_status.setdefault(error.status, []).append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        codes = ", ".join(sorted({error.code for error in group}))
        responses[status] = {
            "description": f"Problem ({codes})",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses


class ValidationProblem(DomainError):
    code = "validation_failed"
    status = 422
    message_zh = "请求内容有误：{summary_zh}"
    message_en = "The request is not valid: {summary_en}"


class BodyUnreadable(DomainError):
    """The body is not what its content type says: JSON that is not UTF-8, a broken multipart form."""

    code = "body_unreadable"
    status = 400
    message_zh = "无法读取请求内容：{reason}"
    message_en = "The request body cannot be read: {reason}"


class BodyTooLarge(DomainError):
    """More bytes than the operation accepts (``ggzy.core.web.BODY_LIMIT`` unless it says otherwise)."""

    code = "body_too_large"
    status = 413
    message_zh = "请求内容过大（上限 {limit} 字节）"
    message_en = "The request body is too large (at most {limit} bytes)"


class PathNotFound(DomainError):
    code = "not_found"
    status = 404
    message_zh = "未找到该地址"
    message_en = "Not Found"


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    message_zh = "不支持该请求方法"
    message_en = "Method Not Allowed"


_VALIDATION_ZH = {
    "missing": "必填",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601（含时区）",
    "datetime_parsing": "时间格式应为 ISO 8601（含时区）",
    "timezone_aware": "时间须含时区",
    "date_out_of_range": "日期须在 {first} 至 {last} 之间",
    "text_surrogate": "不是有效的文字（含孤立代理码位 U+{code}）",
    "text_control_character": "不能含控制字符 U+{code}",
    "text_bidi_control": "不能含双向文字控制字符 U+{code}",
    "text_invisible": "不能只有不可见字符",
    "number_not_ascii": "数字须用半角阿拉伯数字（0-9）书写",
    "number_out_of_range": "数值须小于 10^{digits}，且最多 12 位小数",
    "text_not_ascii": "只能含可打印的 ASCII 字符（含 U+{code}）",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不允许的字段",
}


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    def _domain_error(request: Request, error: DomainError) -> JSONResponse:
        return problem_response(error.problem(instance=request.url.path))

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        items = []
        for item in error.errors():
            name = _field_name(tuple(item.get("loc", ())))
            message_en = str(item.get("msg", "invalid"))
            ctx = item.get("ctx") or {}
            reason = ctx.get("error")
            message_zh = _VALIDATION_ZH.get(str(item.get("type")), "无效")
            if ctx and "{" in message_zh:
                message_zh = message_zh.format_map({key: str(value) for key, value in ctx.items()})
            if isinstance(reason, DomainError):
                message_en, message_zh = reason.detail_en, reason.detail_zh
            items.append({"field": name, "message_en": message_en, "message_zh": message_zh, "type": item["type"]})
        summary_en = "; ".join(f"{i['field']}: {i['message_en']}" for i in items)
        summary_zh = "；".join(f"{i['field']}：{i['message_zh']}" for i in items)
        problem = ValidationProblem(
            field=items[0]["field"] if items else None, summary_en=summary_en, summary_zh=summary_zh
        ).problem(instance=request.url.path)
        problem["errors"] = items
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(http_problem(request, error))


def http_problem(request: Request, error: StarletteHTTPException) -> dict[str, Any]:
    """What the framework refuses before an endpoint runs, as the problem the OpenAPI document declares for it."""
    known: DomainError
    if error.status_code == 413:
        budget = request.scope.get("ggzy.body_limit")  # ggzy.core.web.BodyLimitMiddleware
        known = BodyTooLarge(limit=getattr(budget, "max_bytes", "?"))
    elif error.status_code == 400:
        known = BodyUnreadable(reason=str(error.detail))
    elif error.status_code == 404:
        known = PathNotFound()
    elif error.status_code == 405:
        known = MethodNotAllowed()
    else:
        return {
            "type": PROBLEM_TYPE_BASE + "http_error",
            "title": str(error.detail),
            "status": error.status_code,
            "code": "http_error",
            "detail": str(error.detail),
            "message_zh": "请求无法处理",
            "message_en": str(error.detail),
            "instance": request.url.path,
        }
    return known.problem(instance=request.url.path)
