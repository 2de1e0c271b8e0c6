"""The `consult` command line: parse flags, call one function, let errors rise.

Every problem reaches the user through `ConsultError` (a ClickException): it is
printed once, as `path:line:col: message (hint)`, and the exit code is 1.
Tracebacks only with --debug.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
@pass_ctx
def build(ctx: Context, now: str | None, out: Path | None) -> None:
    """Build the site into _site/ (nothing is written if there is a problem)."""
    from consult.build import build_site

    built, report = build_site(ctx.root, out, now)
    click.echo(f"Built {len(built.files)} files: {len(report.written)} written, "
               f"{report.unchanged} unchanged, {len(report.removed)} removed.")


@cli.command()
@now_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--inbox", "inbox_url", help="Inbox URL (default: from site.yaml, sqlite:///.consult/inbox.sqlite3).")
@pass_ctx
def serve(ctx: Context, now: str | None, host: str, port: int, inbox_url: str | None) -> None:
    """Build, serve the site and the form handler (/api/) on localhost."""
    from consult.serve import serve_site

    serve_site(ctx.root, host, port, now=now, inbox_url=inbox_url)


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
