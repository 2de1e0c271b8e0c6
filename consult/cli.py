"""The `consult` command line: parse flags, call one function, let errors rise.

Every problem reaches the user through `ConsultError` (a ClickException): it is
printed once, as `path:line:col: message (hint)`, and the exit code is 1.
Tracebacks only with --debug.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from consult import __version__
from consult.errors import ConsultError, in_language, in_order, say, split_warnings


class Context:
    def __init__(self, root: Path, debug: bool):
        self.root = root
        self.debug = debug

    @cached_property
    def language(self) -> str:
        """The site's language, for the problems said to its editors (site_language)."""
        from consult.config import site_language

        return site_language(self.root)


class _Consult(click.Group):
    """The command group: a ConsultError leaving a command is said in the site's language."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsultError as exc:
            if isinstance(ctx.obj, Context):
                exc.language = ctx.obj.language
            raise


pass_ctx = click.make_pass_decorator(Context)

# What a command that loaded a whole site returns once it has written and said everything: `main`
# then ends the process as the interpreter would, but without freeing the site object by object
# on its way out (0.4 s of CPU after a 10,000-proposal build, more the larger the site): see
# `_leave_at_once`. The tests call the commands in-process, never `main`.
LEAVE_AT_ONCE = object()
now_option = click.option(
    "--now", metavar="DATETIME", help="Build as if it were this time (e.g. 2026-12-01T12:00), for reproducible output."
)


@click.group(cls=_Consult)
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
@click.option("--ci", type=click.Choice(["github", "gitlab"]), default="github", show_default=True,
              help="The forge whose pipelines to write: GitHub Actions workflows or a .gitlab-ci.yml.")
def init(directory: Path, ci: str) -> None:
    """Create a new site in DIRECTORY (new, empty, or a fresh git repository)."""
    from consult.i18n import DEFAULT_LANGUAGE, translate
    from consult.scaffold import init_site

    language = DEFAULT_LANGUAGE  # the language of the site it makes
    done = init_site(directory, language, ci)
    for path in done.kept:
        click.echo(translate(language, "cli.init.kept", path=path))
    if done.ignored:
        click.echo(translate(language, "cli.init.gitignore", path=directory / ".gitignore", lines=", ".join(done.ignored)))
    click.echo(translate(language, "cli.init.created", count=len(done.written), folder=directory))
    click.echo(translate(language, "cli.init.next", folder=directory))


@cli.command()
@click.argument("kind", type=click.Choice(["consultation", "proposal", "page"]))
@click.argument("title")
@click.option("--consultation", metavar="SLUG", help="For a proposal: the consultation it belongs to.")
@pass_ctx
def new(ctx: Context, kind: str, title: str, consultation: str | None) -> None:
    """Create a new consultation, proposal or page titled TITLE."""
    from consult.i18n import translate
    from consult.scaffold import new_content

    language = ctx.language
    path = new_content(ctx.root, kind, title, consultation, language=language)
    click.echo(translate(language, "cli.new.created", path=path.relative_to(ctx.root).as_posix()))


strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1, nothing written).")


def echo_warnings(warnings: "Iterable[Any]", language: str) -> None:
    """Warnings on stderr, one a line (`path:line:col: warning: message (how to fix it)`) in the
    site's `language`, in one write: click.echo flushes at each call, and a large site has thousands."""
    lines = [warning.said(language) for warning in warnings]
    if lines:
        click.echo("\n".join(lines), err=True)


@cli.command()
@now_option
@strict_option
@pass_ctx
def check(ctx: Context, now: str | None, strict: bool) -> object:
    """Validate site.yaml, content/ and templates; print every problem."""
    from consult.build import check_site
    from consult.config import reserved_theme_notice

    built = with_lint(ctx, lambda: check_site(ctx.root, now, strict=strict), lambda checked: checked.site,
                      strict, writes=False)
    echo_warnings(built.warnings, ctx.language)
    notice = reserved_theme_notice(ctx.root, built.site.config)
    if notice:
        click.echo(notice, err=True)
    click.echo(render_check_summary(built))
    for line in render_embargoes(built.site):
        click.echo(line)
    next_change = render_next_change(built.site)
    if next_change:
        click.echo(next_change)
    return LEAVE_AT_ONCE


def render_embargoes(site: Any) -> list[str]:
    """One line per answer or status change dated later than the build: hidden until that day."""
    from consult.i18n import format_date, translate
    from consult.lint import embargoes
    from consult.moderation import terminal_safe

    language = site.config.language
    lines = []
    for day, what, title, source in embargoes(site.consultations):
        shown = (translate(language, "cli.check.embargo.response") if what == "response"
                 else translate(language, "cli.check.embargo.status", status=dict(site.config.proposal_statuses).get(what) or what))
        lines.append(translate(language, "cli.check.embargo", date=format_date(day, language), what=shown,
                               title=terminal_safe(title), path=source))
    return lines


T = TypeVar("T")


def with_lint(ctx: Context, run: Callable[[], T], site_of: Callable[[T], Any], strict: bool = False,
              writes: bool = True) -> T:
    """`run` (a check or a build) with consult.lint's problems. The file checks come first: their
    errors, or their warnings under `strict`, stop a `run` that `writes` before it starts, and are
    reported with the problems of one that does not; the checks of the loaded site (`site_of(result)`,
    None when a build found nothing changed) follow a successful run. Warnings are printed after a
    successful run, or with run's own problems."""
    from consult.lint import lint_files, lint_site

    errors, warnings = split_warnings(lint_files(ctx.root))
    if strict:
        errors, warnings = errors + [replace(w, warning=False) for w in warnings], []
    if errors and writes:
        raise ConsultError(errors + warnings)
    try:
        result = run()
    except ConsultError as exc:
        # A check lists everything at once; a failed build says only what stopped it.
        raise ConsultError(exc.problems + errors + ([] if writes else warnings))
    if errors:
        raise ConsultError(errors + warnings)
    site = site_of(result)
    if site is not None:
        warnings += lint_site(site)
    echo_warnings(sorted(warnings, key=in_order), ctx.language)
    return result


def render_check_summary(built: Any) -> str:
    """'OK: 2 consultations, …', in the site's language."""
    from consult.i18n import translate

    site = built.site
    language = site.config.language
    counts = (("consultations", len(site.consultations)),
              ("proposals", sum(len(c.proposals) for c in site.consultations)),
              ("pages", len(site.pages)), ("files", len(built.files)))
    summary = ", ".join(translate(language, f"cli.check.{name}", count=count) for name, count in counts)
    return translate(language, "cli.check.ok", summary=summary)


def render_next_change(site: Any) -> str:
    """When the next consultation opens or closes, and why the site must be rebuilt then; '' if never."""
    from consult.i18n import format_datetime, translate
    from consult.lint import next_status_change

    change = next_status_change(site.consultations, site.now)
    if change is None:
        return ""
    language, tz = site.config.language, site.config.tz
    when = format_datetime(change.moment, language, tz)
    return "\n".join((translate(language, f"cli.check.next.{change.event}", title=change.consultation.title, date=when),
                      translate(language, "cli.check.next.rebuild")))


@cli.command()
@now_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: _site).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for parsing and rendering (default: the cores available).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update .consult/cache/ (the built-in themes' compiled templates are still kept in ~/.cache/consult/, as Python keeps its bytecode).")
@click.option("--no-search", is_flag=True, help="Skip the search index (Pagefind, the last step).")
@strict_option
@pass_ctx
def build(ctx: Context, now: str | None, out: Path | None, jobs: int | None, no_cache: bool, no_search: bool,
          strict: bool) -> object:
    """Build the site into _site/ (nothing is written if there is an error; warnings are printed)."""
    from consult.build import build_site
    from consult.i18n import translate
    from consult.progress import terminal_stage

    built, report = with_lint(ctx, lambda: build_site(ctx.root, out, now, jobs=jobs or available_cores(),
                                                           cache=not no_cache, stage=terminal_stage(),
                                                           strict=strict, search=not no_search),
                              lambda done: done[0].site, strict)
    echo_warnings(built.warnings, ctx.language)
    click.echo(translate(ctx.language, "cli.build.done", count=built.count, written=len(report.written),
                         unchanged=report.unchanged, removed=len(report.removed)))
    if built.indexed is not None:
        click.echo(in_language(built.indexed.message, ctx.language), err=built.indexed.pages is None)
    return LEAVE_AT_ONCE


@cli.command()
@pass_ctx
def watch(ctx: Context) -> None:
    """Keep a journal of the site's changes, so builds of a very large site skip looking at every file."""
    import signal
    import threading

    from consult.theme import builtin_themes_dir
    from consult.watch import watch_site

    from consult.i18n import translate

    def ready() -> None:
        click.echo(translate(ctx.language, "cli.watch.ready", root=ctx.root), err=True)

    # Ctrl-C or a service manager's SIGTERM stop it cleanly; installed even where the shell started it
    # with SIGINT ignored (a background job of a script), so that it can always be stopped the same way.
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    watch_site(ctx.root, [builtin_themes_dir()], stop=stopping.is_set, ready=ready)
    click.echo(translate(ctx.language, "cli.watch.stopped"), err=True)


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
@click.option("--trust-proxy", metavar="PROXY", envvar="CONSULT_TRUST_PROXY", default="",
              help="Which proxy's client address to believe: 'netlify' (X-Nf-Client-Connection-Ip) or "
                   "'x-forwarded-for:N' (the Nth address from the right). Default: none, the connection's.")
@pass_ctx
def handler(ctx: Context, host: str, port: int, rules: Path | None, inbox_url: str | None,
            trust_proxy: str) -> None:
    """Run the form handler alone (WSGI). In production: gunicorn 'consult.forms.wsgi:app'."""
    from consult.forms.wsgi import run_handler

    run_handler(ctx.root, host, port, rules=rules, inbox=inbox_url, trust_proxy=trust_proxy)


@cli.command(name="pull")
@click.option("--branch", metavar="PREFIX",
              help="Commit pending files on new review branches PREFIX/<time>-<n> (250 files at most each, "
                   "flagged first), the rest (published, tallies, erasures) on the current branch.")
@inbox_option
@click.option("--from", "from_url", metavar="URL", envvar="CONSULT_PULL_URL",
              help="Pull through the form handler's export at URL (https; token from $CONSULT_PULL_TOKEN) "
                   "instead of opening the inbox. Default: $CONSULT_PULL_URL.")
@pass_ctx
def pull_command(ctx: Context, branch: str | None, inbox_url: str | None, from_url: str | None) -> None:
    """Write new submissions as pending contribution files, and support tallies."""
    from consult.pull import pull

    if from_url and inbox_url:
        raise click.UsageError("give --from (the handler's export) or --inbox, not both")
    if from_url:
        from consult.inbox.remote import RemoteInbox

        inbox = RemoteInbox.from_env(from_url)
    else:
        inbox = _site_inbox(ctx, inbox_url)
    try:
        click.echo(pull(ctx.root, inbox, branch=branch).render(ctx.language))
    except OSError as exc:
        from consult.errors import DISK_FULL, disk_full

        if exc.errno not in DISK_FULL:
            raise
        # pull marks a submission exported only once its file is written and read back.
        raise disk_full(exc, ctx.root, say("what was not written stays in the inbox for the next pull",
                                           "ce qui n'a pas été écrit reste dans la boîte de réception pour le "
                                           "prochain pull"),
                        say("the new contribution files", "les fichiers des nouvelles contributions")) from exc
    finally:
        inbox.close()


@cli.command()
@click.argument("action", required=False,
                type=click.Choice(["list", "show", "approve", "reject", "promote", "unpublish", "keep"]),
                default="list")
@click.argument("ids", nargs=-1)
@click.option("--reason", metavar="CODE", help="Why a contribution is rejected: a code from site.yaml moderation.reasons.")
@click.option("--full", is_flag=True,
              help="Every text and answer in full, however many (the default up to 10 contributions).")
@click.option("--consultation", metavar="SLUG", help="Only this consultation's contributions.")
@click.option("--kind", metavar="KIND", help="Only this kind: suggestion, proposal, comment or answers.")
@click.option("--flagged", is_flag=True, help="Only the flagged contributions.")
@click.option("--flag", metavar="CODE", help="Only the contributions with this flag (e.g. personal-email).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="List at most this many (a page; default: 100 when there are more).")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first (the next page).")
@click.option("--web", is_flag=True, help="Open the moderation screen: a local page on 127.0.0.1 (its address, "
                                          "with a secret token, is printed).")
@click.option("--port", default=0, type=int, help="With --web: the port (default: a free one).")
@pass_ctx
def moderate(ctx: Context, action: str, ids: tuple[str, ...], reason: str | None, full: bool,
             consultation: str | None, kind: str | None, flagged: bool, flag: str | None,
             limit: int | None, offset: int, web: bool = False, port: int = 0) -> None:
    """List pending contributions (flagged first, a page at a time), show them in full, approve or
    reject them by id, unpublish a published one (after a report) with --reason, or keep it
    published (`keep`: the report's flag taken off); or open the
    moderation screen (--web).

    Approving a citizen proposal publishes it as a proposal page; `promote` does the same for a
    suggestion worth an answer."""
    from consult.config import require_config
    from consult.i18n import translate
    from consult.detect import load_words
    from consult.moderation import decide, list_pending, page_of, render_entry, render_pending, show_entry

    config = require_config(ctx.root)
    language = config.language
    if web:
        from consult.screen import run_screen

        run_screen(ctx.root, config, port)
        return
    if action == "list":
        items = list_pending(ctx.root, consultation, kind, flagged, flag)
        page = page_of(items, offset, limit)
        click.echo(render_pending(page.items, language, full=True if full else None, words=load_words(ctx.root),
                                  page=page))
        return
    if not ids:
        raise ConsultError(translate(language, "cli.moderate.name_ids", action=action))
    if action == "show":
        from consult.moderation import reports_about

        for id_ in ids:
            entry = show_entry(ctx.root, id_)
            reports = reports_about(ctx.root, entry.consultation).get(entry.id, []) if entry.status == "published" else []
            click.echo("\n".join(render_entry(entry, language, load_words(ctx.root), reports)))
        return
    from datetime import datetime

    if action == "unpublish":
        from consult.moderation import unpublish

        for path in unpublish(ctx.root, list(ids), reason or "", config.reasons, datetime.now(config.tz)):
            click.echo(translate(language, "cli.moderate.unpublished", path=path, reason=reason))
        return
    if action == "keep":
        from consult.moderation import keep

        for path in keep(ctx.root, list(ids), datetime.now(config.tz)):
            click.echo(translate(language, "cli.moderate.kept", path=path))
        return
    ids = _publish_proposals(ctx.root, ids, action, config)
    status = "published" if action == "approve" else "rejected"
    today = datetime.now(config.tz).date()
    for path in decide(ctx.root, list(ids), status, reason or "", config.reasons, today) if ids else ():
        click.echo(translate(language, f"cli.moderate.{status}", path=path))


def _publish_proposals(root: Path, ids: tuple[str, ...], action: str, config: Any) -> tuple[str, ...]:
    """Publish as proposal pages the ids `promote` names, or the citizen proposals `approve` names;
    the ids left for `decide`."""
    from consult.i18n import translate
    from consult.proposals import kind_of, publish

    if action not in ("approve", "promote"):
        return ids
    chosen = ids if action == "promote" else tuple(i for i in ids if kind_of(root, i) == "proposal")
    for id_ in chosen:
        done = publish(root, id_, config.status_ids[0], config.tz, promote=action == "promote")
        click.echo(translate(config.language, "cli.moderate.as_proposal", proposal=done.proposal,
                             path=done.contribution))
    return tuple(i for i in ids if i not in chosen)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--consultation", required=True, metavar="SLUG", help="The consultation the rows belong to.")
@click.option("--channel", required=True, type=click.Choice(["papier", "courriel", "reunion"]),
              help="How they reached you: on paper, by e-mail, at a public meeting.")
@pass_ctx
def import_command(ctx: Context, file: Path, consultation: str, channel: str) -> None:
    """Import contributions typed by staff into a spreadsheet (CSV, XLSX, ODS) as pending files.

    The first row names the columns: date (received), type, titre, texte, auteur, proposition,
    catégorie, and one column per question (its id). Every row is checked as the form handler checks
    a form; importing the same file twice adds nothing."""
    from datetime import datetime

    from consult.config import require_config
    from consult.imports import import_file

    config = require_config(ctx.root)
    done = import_file(ctx.root, file, consultation, channel, datetime.now(config.tz), config.tz, config.language)
    click.echo(done.render(config.language, channel))


@cli.command()
@click.argument("slugs", nargs=-1, required=True)
@click.option("--status", required=True, metavar="STATUS", help="The new status: an id of site.yaml proposal_statuses.")
@click.option("--response-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The official response (Markdown), set on every proposal named.")
@click.option("--note", default="", help="A short note for the history entry.")
@click.option("--date", "day", metavar="YYYY-MM-DD",
              help="The day of the answer (default: today). A later day is not shown before it comes.")
@click.option("--consultation", metavar="SLUG", help="The consultation, when a proposal slug is in several.")
@pass_ctx
def respond(ctx: Context, slugs: tuple[str, ...], status: str, response_file: Path | None, note: str,
            day: str | None, consultation: str | None) -> None:
    """Answer proposals: a dated status change in their history, and the official response."""
    from consult.config import require_config
    from consult.i18n import translate
    from consult.proposals import respond as respond_to

    config = require_config(ctx.root)
    when = _day_option(day, config)
    response = response_file.read_text(encoding="utf-8") if response_file else None
    for path in respond_to(ctx.root, list(slugs), status, when, config.status_ids, note, response, consultation):
        click.echo(translate(config.language, "cli.respond.done", path=path, date=when.isoformat()))


def _day_option(day: str | None, config: Any) -> Any:
    """--date as a date (default: today in the site's time zone)."""
    from datetime import date, datetime

    try:
        return date.fromisoformat(day) if day else datetime.now(config.tz).date()
    except ValueError:
        raise ConsultError(say(f"--date {day!r}: write the day as YYYY-MM-DD",
                               f"--date {day!r} : écrivez le jour sous la forme AAAA-MM-JJ"))


@cli.command()
@click.argument("keep")
@click.argument("duplicates", nargs=-1, required=True)
@click.option("--note", default="", help="A short note for the duplicates' history entry.")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The day of the merge (default: today).")
@click.option("--consultation", metavar="SLUG", help="The consultation, when the slug KEEP is in several.")
@pass_ctx
def merge(ctx: Context, keep: str, duplicates: tuple[str, ...], note: str, day: str | None,
          consultation: str | None) -> None:
    """Merge duplicate proposals into KEEP: each gets merged_into: KEEP and the merged status
    (site.yaml: the proposal status marked merged: true); supports then count once per person."""
    from consult.config import require_config
    from consult.i18n import translate
    from consult.merge import merge as merge_into

    config = require_config(ctx.root)
    when = _day_option(day, config)
    for path in merge_into(ctx.root, keep, list(duplicates), config.merged_status, when, consultation, note):
        click.echo(translate(config.language, "cli.merge.done", path=path, keep=keep))


@cli.command()
@click.argument("action", required=False, type=click.Choice(["list", "release"]), default="list")
@click.argument("ids", nargs=-1)
@inbox_option
@pass_ctx
def held(ctx: Context, action: str, ids: tuple[str, ...], inbox_url: str | None) -> None:
    """List the submissions the inbox holds back (honeypot, suspect supports) with their text,
    or release them by id: they are then pulled, or counted, with their flags."""
    from consult.config import load_config
    from consult.held import render_held, render_released

    inbox = _site_inbox(ctx, inbox_url)
    try:
        if action == "list":
            config = load_config(ctx.root)[0] if (ctx.root / "site.yaml").is_file() else None
            click.echo(render_held(inbox.held(), config.language if config else "fr"))
            return
        if not ids:
            raise ConsultError(say("name the submissions to release: consult held release ID...",
                                   "indiquez les envois à libérer : consult held release ID..."))
        outcomes = inbox.release(list(ids))
    finally:
        inbox.close()
    for line in render_released(outcomes):
        click.echo(line)
    if "unknown" in outcomes.values():
        raise ConsultError(say("some ids are not in the inbox (see 'consult held')",
                               "certains identifiants ne sont pas dans la boîte de réception (voir « consult held »)"))


@cli.command()
@click.argument("slug")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Where to write the PDF (default: <slug>-resultats.pdf in the site folder).")
@click.option("--now", metavar="DATETIME", help="Build as if it were this time, as for build.")
@pass_ctx
def report(ctx: Context, slug: str, out: Path | None, now: str | None) -> None:
    """Write a PDF of a consultation's results page and synthesis, for a council (needs WeasyPrint)."""
    from consult.report import write_report

    click.echo(write_report(ctx.root, slug, out or ctx.root / f"{slug}-resultats.pdf", now).as_posix())


@cli.command(name="tag")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option("--add", "add", multiple=True, metavar="THEME", help="A theme id of the consultation's codebook.yaml.")
@click.option("--remove", "remove", multiple=True, metavar="THEME", help="A theme id to take off.")
@pass_ctx
def tag_contributions(ctx: Context, ids: tuple[str, ...], add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Tag contributions with themes of the codebook: edits only their 'tags:' line."""
    from consult.tagging import tag

    if not add and not remove:
        raise ConsultError(say("name a theme: --add THEME or --remove THEME",
                               "indiquez un thème : --add THEME ou --remove THEME"))
    for path in tag(ctx.root, list(ids), list(add), list(remove)):
        click.echo(path)


@cli.command(name="themes")
@click.argument("slug")
@click.option("--apply", "apply_", is_flag=True,
              help="Write the draft codebook.yaml (if there is none) and add the suggested tags (only 'tags:' lines).")
@click.option("--max-themes", default=8, show_default=True, type=click.IntRange(1, 50), help="Themes to suggest at most.")
@pass_ctx
def themes_command(ctx: Context, slug: str, apply_: bool, max_themes: int) -> None:
    """Suggest a first codebook and tags from a consultation's published texts; writes nothing without --apply."""
    from consult.config import require_config
    from consult.i18n import translate
    from consult.suggest import apply, read_texts, render_codebook, render_report, suggest

    language = require_config(ctx.root).language
    title, texts = read_texts(ctx.root, slug)
    if not texts:
        raise ConsultError(translate(language, "cli.themes.too_few", slug=slug))
    suggestion = suggest(slug, texts, max_themes, topic=title)
    click.echo(render_codebook(suggestion, language))
    click.echo(render_report(suggestion, language), nl=False)
    for path in apply(ctx.root, suggestion, language) if apply_ else ():
        click.echo(translate(language, "cli.new.created", path=path))


@cli.command()
@click.argument("contribution_id", metavar="ID")
@inbox_option
@pass_ctx
def erase(ctx: Context, contribution_id: str, inbox_url: str | None) -> None:
    """Erase a contribution: its file, its inbox row; a tombstone keeps pull from bringing it back.

    An id found neither in content/ nor in the inbox is an error: nothing is erased."""
    from consult.moderation import erase as erase_contribution

    inbox = _site_inbox(ctx, inbox_url)
    try:
        for line in erase_contribution(ctx.root, inbox, contribution_id):
            click.echo(line)
    finally:
        inbox.close()


# --- e-mail: consult notify (notify / mailer) ---------------------------------------------------

@cli.command(name="notify")
@inbox_option
@click.option("--dry-run", "dry_run", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Write the messages as .eml files in DIR; send nothing, record nothing.")
@click.option("--rate", default=10.0, show_default=True, type=float,
              help="Messages per second at most (0: as fast as the server takes them).")
@click.option("--connections", default=1, show_default=True, type=click.IntRange(1, 16),
              help="SMTP connections used at once (a killed run may leave one message unsure per connection).")
@click.option("--outbox-only", is_flag=True,
              help="Only send what the outbox holds (confirmation links), without looking for news: "
                   "safe from any checkout, run it often.")
@click.option("--now", help="The site's date and time to judge embargoes by (default: now).")
@pass_ctx
def notify_command(ctx: Context, inbox_url: str | None, dry_run: Path | None, rate: float, connections: int,
                   outbox_only: bool, now: str | None) -> None:
    """E-mail participants who opted in what became of their contributions (SMTP from $CONSULT_SMTP_URL)."""
    import os

    from consult.config import parse_now, require_config
    from consult.forms.links import Links
    from consult.forms.secret import load_secret
    from consult.mailer import SMTP_ENV, EmlTransport, SmtpTransport
    from consult.notify import Sending, notify

    secret = load_secret(ctx.root)  # CONSULT_SECRET, the handler's: its links must verify there
    transport: Any
    if dry_run is not None:
        transport = EmlTransport(dry_run)
    else:
        url = os.environ.get(SMTP_ENV, "")
        if not url:
            raise ConsultError(say(f"{SMTP_ENV} is not set: smtp://user:password@host:587 (STARTTLS) or smtps://... "
                                   "(or use --dry-run DIR to write the messages as files)",
                                   f"{SMTP_ENV} n'est pas défini : smtp://user:password@host:587 (STARTTLS) ou "
                                   "smtps://... (ou utilisez --dry-run DIR pour écrire les messages dans des fichiers)"))
        transport = [SmtpTransport(url) for _ in range(connections)]
    site_now = parse_now(now, require_config(ctx.root)) if now else None
    inbox = _site_inbox(ctx, inbox_url)
    try:
        report = notify(ctx.root, inbox, transport, Links(secret.current, secret.previous),
                        dry_run=dry_run is not None, outbox_only=outbox_only, sending=Sending(rate=rate),
                        site_now=site_now)
    finally:
        inbox.close()
    click.echo(report.render())
    if report.failed:
        raise SystemExit(1)


# --- inbox maintenance: backup, restore (inbox) ----------------------------------------------

@cli.group("inbox")
def inbox_group() -> None:
    """Back up and restore the inbox (SQLite; PostgreSQL uses pg_dump / pg_restore)."""


@inbox_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@inbox_option
@pass_ctx
def inbox_backup(ctx: Context, file: Path, inbox_url: str | None) -> None:
    """Copy the inbox to FILE (a new file), while the handler keeps running. FILE holds
    personal data (e-mail addresses): keep it as private as the inbox."""
    inbox = _site_inbox(ctx, inbox_url)
    try:
        count = inbox.backup_to(file)
    finally:
        inbox.close()
    from consult.i18n import translate

    click.echo(translate(ctx.language, "cli.inbox.backed_up", count=count, file=file))


@inbox_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore even if the inbox holds submissions FILE does not (they are lost).")
@inbox_option
@pass_ctx
def inbox_restore(ctx: Context, file: Path, force: bool, inbox_url: str | None) -> None:
    """Replace the inbox's content with the backup FILE. Erasures recorded since the backup are
    applied again; submissions the backup lacks make it refuse, unless --force."""
    inbox = _site_inbox(ctx, inbox_url)
    try:
        count = inbox.restore_from(file, force=force)
    finally:
        inbox.close()
    from consult.i18n import translate

    click.echo(translate(ctx.language, "cli.inbox.restored", count=count, file=file))


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        result = cli.main(standalone_mode=False)
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
    if result is LEAVE_AT_ONCE and sys.gettrace() is None and sys.getprofile() is None:
        _leave_at_once()


def _leave_at_once() -> NoReturn:
    """End the process with status 0 as the interpreter's exit would, other threads joined, exit
    handlers run (a coverage tool's, a benchmark's) and the output flushed, then os._exit, as
    multiprocessing ends its children: the system takes the memory back in one go. Not under a
    profiler or tracer (main returns), which writes its report after the program ends."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
