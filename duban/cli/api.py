"""`duban api token USER` (issue a bearer token for the JSON API and reports) and `duban api revoke USER`."""

from __future__ import annotations

from typing import Annotated

import typer

from duban.cli.common import database, now, out
from scheduler.access import api_tokens

app = typer.Typer(no_args_is_help=True, help="接口令牌 Tokens for the JSON API (/api) and reports.")
Username = Annotated[str, typer.Argument(help="The coordinator's username.")]


@app.command("token")
def token(user: Username) -> None:
    """Issue a token (printed once; only its hash is kept). Send it as `Authorization: Bearer TOKEN`."""
    with database() as session:
        issued = api_tokens.issue(session, api_tokens.find_user(session, user), now())
    out.print(issued, highlight=False)


@app.command("revoke")
def revoke(user: Username) -> None:
    """Revoke every API token of the user."""
    with database() as session:
        n = api_tokens.revoke(session, api_tokens.find_user(session, user))
    out.print(f"revoked {n} token(s) for {user}", highlight=False)
