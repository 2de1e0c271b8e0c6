"""The `consult` command line: parse flags, call one function, let errors rise.

Every problem reaches the user through `ConsultError` (a ClickException): it is
printed once, as `path:line:col: message (hint)`, and the exit code is 1.
Tracebacks only with --debug.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from consult import __version__
from consult.errors import ConsultError


class Context:
    def __init__(self, root: Path, debug: bool):
        self.root = root
        self.debug = debug


pass_ctx = click.make_pass_decorator(Context)
now_option = click.option(
    "--now", metavar="DATETIME", help="Build as if it were this time (e.g. 2026-12-01T12:00), for reproducible output."
)


@click.group()
@click.version_option(__version__, prog_name="consult")
@click.option("--root", "-C", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The site folder (holding site.yaml). Default: the current folder.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, root: Path, debug: bool) -> None:
    """Public consultations as accessible static websites."""
    ctx.obj = Context(root, debug)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new site in DIRECTORY."""
    from consult.scaffold import init_site

    written = init_site(directory)
    click.echo(f"Created {len(written)} files in {directory}.")
    click.echo(f"Next: cd {directory} && consult serve")


@cli.command()
@click.argument("kind", type=click.Choice(["consultation", "proposal", "page"]))
@click.argument("title")
@click.option("--consultation", metavar="SLUG", help="For a proposal: the consultation it belongs to.")
@pass_ctx
def new(ctx: Context, kind: str, title: str, consultation: str | None) -> None:
    """Create a new consultation, proposal or page titled TITLE."""
    from consult.scaffold import new_content

    path = new_content(ctx.root, kind, title, consultation)
    click.echo(f"Created {path.relative_to(ctx.root)}")


@cli.command()
@now_option
@pass_ctx
def check(ctx: Context, now: str | None) -> None:
    """Validate site.yaml, content/ and templates; print every problem."""
    from consult.build import check_site

    built = check_site(ctx.root, now)
    site = built.site
    click.echo(f"OK: {len(site.consultations)} consultations, "
               f"{sum(len(c.proposals) for c in site.consultations)} proposals, {len(site.pages)} pages, "
               f"{len(built.files)} output files.")


@cli.command()
@now_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: _site).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for parsing and rendering (default: the cores available).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update .consult/cache/.")
@pass_ctx
def build(ctx: Context, now: str | None, out: Path | None, jobs: int | None, no_cache: bool) -> None:
    """Build the site into _site/ (nothing is written if there is a problem)."""
    from consult.build import build_site
    from consult.progress import terminal_stage

    built, report = build_site(ctx.root, out, now, jobs=jobs or available_cores(), cache=not no_cache,
                               stage=terminal_stage())
    click.echo(f"Built {built.count} files: {len(report.written)} written, "
               f"{report.unchanged} unchanged, {len(report.removed)} removed.")


def available_cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@cli.command()
@now_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--inbox", "inbox_url", help="Inbox URL (default: from site.yaml, sqlite:///.consult/inbox.sqlite3).")
@pass_ctx
def serve(ctx: Context, now: str | None, host: str, port: int, inbox_url: str | None) -> None:
    """Build, serve the site and the form handler (/api/) on localhost."""
    from consult.serve import serve_site

    serve_site(ctx.root, host, port, now=now, inbox_url=inbox_url, jobs=available_cores())


# --- moderation flow: handler, pull, moderate, erase (forms / inbox / pull / moderation) ---


def _site_inbox(ctx: Context, inbox_url: str | None) -> "Any":
    import os

    from consult.inbox import open_inbox
    from consult.config import require_config

    url = inbox_url or os.environ.get("CONSULT_INBOX") or require_config(ctx.root).inbox
    return open_inbox(url, ctx.root)


inbox_option = click.option("--inbox", "inbox_url", metavar="URL",
                            help="Inbox URL (default: $CONSULT_INBOX, else forms.inbox in site.yaml).")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--rules", type=click.Path(dir_okay=False, path_type=Path),
              help="consult-rules.json written by 'consult build' (default: _site/consult-rules.json).")
@inbox_option
@click.option("--altcha", is_flag=True, help="Require an ALTCHA proof of work (needs JavaScript in the form).")
@click.option("--trust-proxy", is_flag=True, help="Take the client address from X-Forwarded-For (behind your own proxy).")
@pass_ctx
def handler(ctx: Context, host: str, port: int, rules: Path | None, inbox_url: str | None, altcha: bool,
            trust_proxy: bool) -> None:
    """Run the form handler alone (WSGI). In production: gunicorn 'consult.forms.wsgi:app'."""
    from consult.forms.wsgi import run_handler

    run_handler(ctx.root, host, port, rules=rules, inbox=inbox_url, altcha=altcha, trust_proxy=trust_proxy)


@cli.command(name="pull")
@click.option("--branch", metavar="NAME", help="Commit the new files on a fresh git branch NAME.")
@inbox_option
@pass_ctx
def pull_command(ctx: Context, branch: str | None, inbox_url: str | None) -> None:
    """Write new submissions as pending contribution files, and support tallies."""
    from consult.pull import pull

    inbox = _site_inbox(ctx, inbox_url)
    try:
        click.echo(pull(ctx.root, inbox, branch=branch).render())
    except OSError as exc:
        from consult.errors import DISK_FULL, disk_full

        if exc.errno not in DISK_FULL:
            raise
        # pull marks a submission exported only once its file is written and read back.
        raise disk_full(exc, ctx.root, "what was not written stays in the inbox for the next pull",
                        "the new contribution files") from exc
    finally:
        inbox.close()


@cli.command()
@click.argument("action", required=False, type=click.Choice(["list", "approve", "reject"]), default="list")
@click.argument("ids", nargs=-1)
@click.option("--reason", metavar="CODE", help="Why a contribution is rejected: a code from site.yaml moderation.reasons.")
@pass_ctx
def moderate(ctx: Context, action: str, ids: tuple[str, ...], reason: str | None) -> None:
    """List pending contributions, or approve / reject them by id."""
    from consult.moderation import decide, list_pending, render_pending
    from consult.config import require_config

    if action == "list":
        click.echo(render_pending(list_pending(ctx.root)))
        return
    if not ids:
        raise ConsultError(f"name the contributions to {action}: consult moderate {action} ID...")
    status = "published" if action == "approve" else "rejected"
    for path in decide(ctx.root, list(ids), status, reason or "", require_config(ctx.root).reasons):
        click.echo(f"{status}: {path}")


@cli.command()
@click.argument("contribution_id", metavar="ID")
@inbox_option
@pass_ctx
def erase(ctx: Context, contribution_id: str, inbox_url: str | None) -> None:
    """Erase a contribution: its file, its inbox row; a tombstone keeps pull from bringing it back."""
    from consult.moderation import erase as erase_contribution

    inbox = _site_inbox(ctx, inbox_url)
    try:
        for line in erase_contribution(ctx.root, inbox, contribution_id):
            click.echo(line)
    finally:
        inbox.close()


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except ConsultError as exc:
        if debug:
            raise
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
