"""``fupin token`` — API tokens (API 令牌).

- ``fupin token create USERNAME [--name NAME]`` prints a new token once; only its hash is stored.
- ``fupin token list [USERNAME]`` shows prefixes, names and last use (never the token).
- ``fupin token revoke PREFIX [--user USERNAME]`` revokes the token(s) with that prefix; when the
  prefix is not unique the command refuses unless ``--user`` narrows it to one user.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.accounts.models import ApiToken, User


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"没有这个用户: {username} / no such user")
    return user


class Command(BaseCommand):
    help = "API令牌 / API tokens: create, list, revoke"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="新建令牌 / issue a token (printed once)")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for / 用途")
        listing = actions.add_parser("list", help="列出令牌 / list tokens")
        listing.add_argument("username", nargs="?", default="")
        revoke = actions.add_parser("revoke", help="吊销令牌 / revoke a token")
        revoke.add_argument("prefix", help="the first 8 characters, as shown by list")
        revoke.add_argument("--user", default="", help="only this user's tokens")

    def handle(self, *args: str, **opts: str) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _create(self, opts: dict) -> None:
        user = _user(opts["username"])
        if not user.is_active:
            raise CommandError(f"用户已停用: {user.username} / the user is inactive")
        _token, raw = ApiToken.issue(user, name=opts["name"])
        self.stdout.write(raw)
        self.stderr.write(f"令牌只显示这一次,请妥善保存 / shown once only; keep it safe (user {user.username})")

    def _list(self, opts: dict) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
        if opts["username"]:
            tokens = tokens.filter(user=_user(opts["username"]))
        for t in tokens:
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-"
            state = "revoked" if t.revoked else "active"
            self.stdout.write(f"{t.prefix}\t{t.user.username}\t{state}\t{used}\t{t.name}")

    def _revoke(self, opts: dict) -> None:
        tokens = ApiToken.objects.filter(prefix=opts["prefix"], revoked=False)
        if opts["user"]:
            tokens = tokens.filter(user=_user(opts["user"]))
        count = tokens.count()
        if count == 0:
            raise CommandError(f"没有有效的令牌以此开头: {opts['prefix']} / no active token with this prefix")
        if count > 1:
            raise CommandError(f"{count}个令牌以此开头,请用 --user 指定 / {count} tokens match; add --user")
        tokens.update(revoked=True)
        self.stdout.write(f"revoked {opts['prefix']}")
