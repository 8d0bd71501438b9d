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
            "model": Problem,
            "description": f"Problem ({codes})",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses


class ValidationProblem(DomainError):
    code = "validation_failed"
    status = 422
    message_zh = "请求内容有误：{summary_zh}"
    message_en = "The request is not valid: {summary_en}"


_VALIDATION_ZH = {
    "missing": "必填",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
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
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        zh = {404: "未找到该地址", 405: "不支持该请求方法"}.get(error.status_code, "请求无法处理")
        return problem_response(
            {
                "type": PROBLEM_TYPE_BASE + code,
                "title": str(error.detail),
                "status": error.status_code,
                "code": code,
                "detail": str(error.detail),
                "message_zh": zh,
                "message_en": str(error.detail),
                "instance": request.url.path,
            }
        )
