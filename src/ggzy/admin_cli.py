"""``ggzy admin``: the platform's administrators from the command line — above all the first one, on a platform
started without the demo (``ggzy serve`` says so while there is none).

The password is read from a hidden prompt (typed twice) or, with ``--password-stdin``, from the first line of
standard input; never from the command line, where ``ps`` and the shell's history would keep it.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine, select

from ggzy.core.errors import DomainError

admin_app = typer.Typer(help="平台管理员 / The platform's administrators", no_args_is_help=True)
console = Console()
error_console = Console(stderr=True)

FIRST_ADMIN_HINT = "ggzy admin create --username NAME"
MIN_LENGTH = 12
# The words every password list begins with; a password made of one of them plus digits and signs is refused.
COMMON_WORDS = frozenset(
    {"password", "passw", "admin", "administrator", "root", "qwerty", "qwertyuiop", "asdfgh", "zxcvbn", "letmein",
     "welcome", "changeme", "iloveyou", "abc", "abcdef", "ggzy", "ggzydemo", "test", "default", "secret"}
)  # fmt: skip


def password_weakness(password: str, *, username: str) -> str | None:
    """Why ``password`` is too weak for a platform administrator, or None.

    Length and a blocklist rather than composition rules (NIST SP 800-63B §5.1.1.2): at least 12 characters, not
    the login name or the demo's published password, not one common word dressed with digits and signs, not
    digits alone, not a handful of characters repeated.
    """
    from ggzy.demo import DEMO_PASSWORD

    lowered = password.lower()
    letters = re.sub(r"[^a-z]", "", lowered)
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符 / at least {MIN_LENGTH} characters"
    if "ggzy-demo" in lowered or password == DEMO_PASSWORD:
        return "这是演示环境公开的密码 / that is the demo's published password"
    if username.lower() in lowered:
        return "密码不得包含登录名 / the password contains the login name"
    if password.isdigit():
        return "密码不得只有数字 / digits alone"
    if len(set(password)) < 6:
        return "不同的字符太少 / too few different characters"
    if letters in COMMON_WORDS:
        return "常见密码加数字或符号 / a common password with digits or signs added"
    return None


def has_platform_admin(engine: Engine) -> bool:
    """Whether an active user holds the platform-administrator role."""
    from ggzy.core.db import unit_of_work
    from ggzy.core.permissions import Role
    from ggzy.entities.models import RoleBinding, User
    from ggzy.wiring import session_factory

    query = (
        select(User.id)
        .join(RoleBinding, RoleBinding.user_id == User.id)
        .where(RoleBinding.role == Role.PLATFORM_ADMIN.value, User.active.is_(True))
        .limit(1)
    )
    with unit_of_work(session_factory(engine), read_only=True) as db:
        return db.scalar(query) is not None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return str(typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True))


def _refuse(message: str, code: int = 1) -> typer.Exit:
    error_console.print(f"[red]{message}[/red]", soft_wrap=True)
    return typer.Exit(code)


@admin_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="Login name of the platform administrator")],
    display_name: Annotated[str, typer.Option(help="Name shown in the trail")] = "平台管理员",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input")
    ] = False,
) -> None:
    """Create a platform administrator: one transaction, recorded as the event user.created."""
    from ggzy.cli import _command_transaction
    from ggzy.core.clock import SystemClock
    from ggzy.core.permissions import SYSTEM, Role
    from ggzy.entities.schemas import RoleGrantIn, UserIn
    from ggzy.entities.service import create_user

    password = _read_password(password_stdin)
    weakness = password_weakness(password, username=username)
    if weakness is not None:
        raise _refuse(f"密码太弱，未创建 / weak password, nothing created: {weakness}")
    try:
        request = UserIn(
            username=username,
            display_name=display_name,
            password=password,
            roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)],
        )
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise _refuse(f"输入有误，未创建 / invalid input, nothing created: {fields}", code=2) from None
    try:
        with _command_transaction() as db:
            create_user(
                db,
                SYSTEM,
                username=request.username,
                display_name=request.display_name,
                password=request.password,
                entity_id=None,
                roles=request.roles,
                now=SystemClock().now(),
            )
    except DomainError as error:
        raise _refuse(f"{error.detail_zh} / {error.detail_en} ({error.code})") from None
    console.print(f"[green]平台管理员 {username} 已创建 / platform administrator {username} created[/green]")
