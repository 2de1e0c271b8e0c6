"""Site -> {output path: bytes}, in memory; nothing here touches disk.

Output paths follow the URL table of ARCHITECTURE.md and derive from the
model's own `url`s, so a link and the file it points at cannot disagree. The
bytes depend only on the site (and `site.now`), never on the clock or on
iteration order. `render_form_page` re-displays one form for the form handler,
with the same page chrome (`chrome_for`) as the built pages.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

import jinja2

from consult.config import ThemeOptions
from consult import facets
from consult.formview import PROPOSAL_PLACEHOLDER, FormLinks, FormView, form_links
from consult.kinds import BY_NAME, CONSULTATION_PAGE_FORMS
from consult.layout import (
    ABOUT_SLUGS, ACCESSIBILITY_SLUGS, ALTCHA_SCRIPT, CHARTER_SLUGS, CONTRIBUTIONS_SEGMENT, FEED_URL, HOME_URL,
    OPENDATA_URL, PAGEFIND_SCRIPT, PRIVACY_SLUGS, SEARCH_URL, STATIC_URL, THANKS_PAGES, feed_path, feed_url,
    output_path, page_url,
)
from consult.i18n import STRINGS, reason_label, translate
from consult.theme import Chrome, theme_stylesheet
from consult.model import Consultation, Contribution, Page, Proposal, Question, Site
from consult.opendata import render_results_data, results_paths
from consult.transparency import report_view

if TYPE_CHECKING:
    from consult.results import Counts

LATEST_CONTRIBUTIONS = 5
PROPOSALS_SHOWN = 6  # the most supported, on a consultation's page; all of them on its lists (consult.facets)
FEED_ENTRIES = 50


def theme_chrome(options: ThemeOptions) -> dict[str, Any]:
    """The theme options base.html shows: logo, header links, favicon, the generated theme.css."""
    return {
        "logo": {"url": STATIC_URL + options.logo, "alt": options.logo_alt} if options.logo else None,
        "header_links": [{"title": title, "url": url} for title, url in options.header_links],
        "favicon_url": STATIC_URL + options.favicon if options.favicon else "",
        "theme_css": bool(theme_stylesheet(options)),
    }


def chrome_for(site: Site) -> Chrome:
    """What base.html needs, JSON-serialisable, so the handler renders the same chrome."""
    config = site.config
    pages = {page.slug: page for page in site.pages}
    endpoint = config.form_endpoint
    return Chrome({
        "title": config.title,
        "description": config.description,
        "language": config.language,
        "timezone": config.timezone,
        "theme": config.theme,
        "base_url": config.base_url,
        "organisation": {"name": config.organisation.name, "url": config.organisation.url},
        "nav_links": [_link(pages[slug]) for slug in ABOUT_SLUGS if slug in pages][:1],
        "footer_links": [_link(p) for p in site.pages if p.in_footer and p.slug != _a11y_slug(site)],
        "accessibility_url": pages[_a11y_slug(site)].url if _a11y_slug(site) in pages else page_url(_a11y_slug(site)),
        "accessibility_status": config.accessibility_status,
        "charter_url": next((pages[s].url for s in CHARTER_SLUGS if s in pages), ""),
        "privacy_url": next((pages[s].url for s in PRIVACY_SLUGS if s in pages), ""),
        "form_endpoint": endpoint,
        "token_url": endpoint.rsplit("/", 1)[0] + "/token",
        "follow_url": endpoint.rsplit("/", 1)[0] + "/follow",  # "Être prévenu·e des résultats" (consult.forms.mail)
        "altcha_url": endpoint.rsplit("/", 1)[0] + "/altcha" if config.altcha else "",
        "altcha_script": ALTCHA_SCRIPT if config.altcha else "",
        "max_length": config.max_length,
        "feed_url": FEED_URL,
        "opendata_url": OPENDATA_URL,
        "search_url": SEARCH_URL,
        "thanks": dict(THANKS_PAGES),
        "static_url": STATIC_URL,
        "home_url": HOME_URL,
        **theme_chrome(config.theme_options),
    })


def _link(page: Page) -> dict[str, str]:
    return {"title": page.title, "url": page.url}


def _a11y_slug(site: Site) -> str:
    return ACCESSIBILITY_SLUGS.get(site.config.language, ACCESSIBILITY_SLUGS["fr"])


def render_site(site: Site, env: jinja2.Environment, only: Collection[str] | None = None) -> dict[str, bytes]:
    """Every output file but the static assets (see `theme.static_files`); with `only` (consultation
    slugs), the pages of the site as a whole and those consultations' own pages and feeds only."""
    chrome = chrome_for(site)
    out: dict[str, bytes] = {}

    def page(url: str, template: str, **context: Any) -> None:
        html = env.get_template(template).render(chrome=chrome, url=url, canonical=site.config.base_url + url, **context)
        out[output_path(url)] = html.encode("utf-8")

    def deferred(url: str, template: str, make: Callable[[], dict[str, Any]]) -> None:
        """page(url, template, **make()), its context made only when the page renders (_render_later)."""
        out[output_path(url)] = _render_later(env, template, functools.partial(
            _page_context, chrome, url, site.config.base_url + url, make))

    groups = {status: [c for c in site.consultations if c.status == status] for status in ("open", "upcoming", "closed")}
    most_supported, latest_answered = home_proposals(site)
    page(HOME_URL, "home.html", consultations=site.consultations, groups=groups, most_supported=most_supported,
         latest_answered=latest_answered)
    # Each consultation's lists, sorted once: for its pages, and for the sitemap, which lists every consultation's.
    lists = {c.slug: facets.lists(c, site.proposal_statuses) for c in site.consultations if facets.listed(c)}
    # Planning (consult.pages) renders the pages made inside together(key) in one process: a
    # consultation's list pages and their data show the same cards, which memo() renders once a process.
    # Rendered at once (the check), there is nothing to group: nullcontext(key).
    together = getattr(env, "together", nullcontext)
    for consultation in site.consultations:
        if only is None or consultation.slug in only:
            _render_consultation(site, consultation, lists.get(consultation.slug), page, deferred, chrome)
            if consultation.slug in lists:
                with together(consultation.slug):
                    _render_lists(site, consultation, lists[consultation.slug], page)
    for consultation in site.consultations:
        if consultation.shows_results:
            from consult.results import count_results  # as _render_results says

            # Counted once, for the page and its open data alike. The CSV files are plain bytes, not
            # pages an incremental build could carry over: they are made for every consultation.
            counts = count_results(consultation, site.config.tz)
            out.update(render_results_data(consultation, counts))
            if only is None or consultation.slug in only:
                _render_results(site, consultation, page, counts)
    for consultation in site.consultations:
        if only is None or consultation.slug in only:
            page(consultation.moderation_url, "moderation.html", consultation=consultation,
                 report=report_view(consultation.moderation_figures, site.config.language))
    reports = [{"title": c.title, "url": c.moderation_url} for c in site.consultations]
    for content_page in site.pages:
        # The charter lists every consultation's moderation report, which applies it.
        page(content_page.url, "page.html", page=content_page,
             moderation_reports=reports if content_page.slug in CHARTER_SLUGS else [])
    if _a11y_slug(site) not in {p.slug for p in site.pages}:
        page(chrome["accessibility_url"], "accessibility.html", statement=_statement(site))
    page(OPENDATA_URL, "opendata.html", opendata=_opendata_view(site))
    page(SEARCH_URL, "search.html", pagefind_url=PAGEFIND_SCRIPT,
         lists=[{"title": c.title, "url": facets.list_url(c)} for c in site.consultations if facets.listed(c)])
    for outcome, thanks_url in THANKS_PAGES.items():
        page(thanks_url, "thanks.html", outcome=outcome)
    out["404.html"] = env.get_template("404.html").render(chrome=chrome, url="/404.html").encode("utf-8")
    out["sitemap.xml"] = _render_later(env, "sitemap.xml", functools.partial(_sitemap_context, site, lists))
    out["robots.txt"] = f"User-agent: *\nDisallow: {THANKS_PAGES['suggestion']}\n\nSitemap: {site.config.base_url}/sitemap.xml\n".encode()
    out[feed_path(HOME_URL)] = _feed(site, env, None)
    for consultation in site.consultations:
        if only is None or consultation.slug in only:
            out[feed_path(consultation.url)] = _feed(site, env, consultation)
    return dict(sorted(out.items()))


HOME_PROPOSALS = 5  # proposals in each of the home page's two lists


def home_proposals(site: Site) -> tuple[list[tuple[Consultation, Proposal]], list[tuple[Consultation, Proposal]]]:
    """The home page's lists, over the listed proposals of open consultations: the most supported
    (at least one support), and the latest answered (a response the model shows: embargo kept)."""
    listed = [(c, p) for c in site.consultations if c.is_open for p in c.listed]
    most = sorted((x for x in listed if x[1].supports), key=lambda x: (-x[1].supports, x[1].title.casefold(), x[1].url))
    answered = sorted((x for x in listed if x[1].response_date), key=lambda x: (x[1].response_date, x[1].url),
                      reverse=True)
    return most[:HOME_PROPOSALS], answered[:HOME_PROPOSALS]


def _text_answer_count(c: Consultation, question_id: str) -> int:
    from consult.results import published  # as _render_results says

    return sum(1 for x in published(c) for a in x.answers
               if a.question.id == question_id and isinstance(a.value, str) and a.value.strip())


def _render_later(env: jinja2.Environment, template: str, make: Callable[[], dict[str, Any]]) -> bytes:
    """`template` rendered with the context make() returns; made only when the page renders where the
    Environment can wait for it: consult.pages plans the pages so (its `defer`), and the context is
    made in the process that renders the page, rather than all of them here while planning."""
    defer = getattr(env, "defer", None)
    html = defer(template, make) if defer is not None else env.get_template(template).render(**make())
    return html.encode("utf-8")


def _page_context(chrome: Mapping[str, Any], url: str, canonical: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A deferred page's context (render_site's `deferred`), in the order `page` gives one."""
    return {"chrome": chrome, "url": url, "canonical": canonical, **make()}


def _sitemap_context(site: Site, lists: Mapping[str, facets.Lists]) -> dict[str, Any]:
    return {"urls": [site.config.base_url + url for url in sitemap_urls(site, lists)]}


def _render_consultation(site: Site, consultation: Consultation, lists: facets.Lists | None, page: Any, deferred: Any,
                         chrome: Mapping[str, Any]) -> None:
    """A consultation's own pages but its lists (_render_lists); `lists`: its proposal lists, None when it
    lists no proposal. Its proposals' pages are `deferred`: making their contexts was most of planning a
    site's pages."""
    c = consultation
    listed = lists.sorted[facets.SORTS[0]] if lists is not None else ()
    pages = contribution_pages(c, site.config.contributions_per_page)
    forms = consultation_forms(site, c, chrome) if c.is_open else []
    report = report_form(site, c, chrome)
    page(c.url, "consultation.html", consultation=c, latest=c.contributions[:LATEST_CONTRIBUTIONS],
         contributions_url=pages[0]["url"], contribute_forms=forms, feed_url=feed_url(c.url), report_form=report,
         proposals=listed[:PROPOSALS_SHOWN], proposals_count=len(listed), proposals_url=facets.list_url(c))
    for number, current in enumerate(pages, start=1):
        page(current["url"], "contributions.html", consultation=c, contributions=current["items"],
             pagination=_pagination(pages, number), feed_url=feed_url(c.url), report_form=report)
    label = status_labeler(site)
    open_for = set(c.kinds) if c.is_open else set()
    form = proposal_forms(site, c, form_links(chrome))
    per_page, feed = site.config.contributions_per_page, feed_url(c.url)

    def proposal_page(proposal: Proposal, comments: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(consultation=c, proposal=proposal,
                    support_form=form(proposal, "support")
                    if "support" in open_for and not proposal.status.final and not proposal.merged_into else None,
                    comment_form=form(proposal, "comment") if "comment" in open_for else None,
                    status_labels={change.status: label(change.status) for change in proposal.history},
                    comments=comments[0]["items"], pagination=_pagination(comments, 1), feed_url=feed,
                    report_form=report)

    for proposal in c.proposals:
        comments = comment_pages(proposal, per_page)
        deferred(proposal.url, "proposal.html", functools.partial(proposal_page, proposal, comments))
        for number, current in enumerate(comments[1:], start=2):
            page(current["url"], "comments.html", consultation=c, proposal=proposal, comments=current["items"],
                 pagination=_pagination(comments, number), commenting="comment" in open_for,
                 feed_url=feed, report_form=report)


def _render_lists(site: Site, c: Consultation, lists: facets.Lists, page: Any) -> None:
    """A consultation's proposals, one list page per sort and per facet value, paginated, and the
    data its script shows them from in place (consult.facets)."""
    per_page = site.config.contributions_per_page
    choices = facets.choices(c, lists, functools.partial(_choice_label, site, c))
    base = facets.list_url(c)
    data_url = facets.data_url(c)
    for listing in lists.listings:
        heading = next((choice.label for choice in choices.get(listing.facet or "tri", ())
                        if choice.value == (listing.value or listing.sort)), "")
        pages = _paged(listing.proposals, per_page, listing.url, "")
        for number, current in enumerate(pages, start=1):
            page(current["url"], "proposals.html", consultation=c, listing=listing, proposals=current["items"],
                 pagination=_pagination(pages, number), choices=choices, heading=heading, base_url=base,
                 data_url=data_url, per_page=per_page, feed_url=feed_url(c.url))
    page(data_url, "proposals.json", proposals=lists.sorted[facets.SORTS[0]], goal=c.support_goal,
         data=facets.facet_data(lists))


def _choice_label(site: Site, c: Consultation, facet: str, value: str) -> str:
    """A facet value's or a sort's label, as the list controls show it."""
    if facet == "categorie":
        return next(cat.label for cat in c.categories if cat.id == value)
    if facet == "statut":
        return status_text(site, value)
    return translate(site.config.language, f"facets.{'origin' if facet == 'origine' else 'sort'}.{value}")


def list_page_urls(site: Site, lists: facets.Lists) -> list[str]:
    """The URLs of a consultation's proposal list pages (for the sitemap)."""
    per_page = site.config.contributions_per_page
    return [url for listing in lists.listings for url in _page_urls(len(listing.proposals), per_page, listing.url, "")]


TEXT_ANSWERS_SHOWN = 5  # a text question's first answers on the results page; all of them on its own pages
# Short answers, so more to a page than contributions: 500,000 answers must not mean 25,000 pages a question.
TEXT_ANSWERS_PER_PAGE = 100


def _render_results(site: Site, c: Consultation, page: Any, counts: Counts) -> None:
    """The results page and, for each public text question, its answers' pages."""
    # consult.results (and its charts) is loaded for a site with a questionnaire only: 12 ms of
    # dataclasses and tables at the start of every build of one without.
    from consult.results import results_view

    urls = _contribution_urls(site, c) if c.codebook else {}
    view = results_view(c, counts, site.config.language, urls)
    pages = {q.question.id: text_answer_pages(c, q.question.id, q.answers, TEXT_ANSWERS_PER_PAGE)
             for q in view.questions if q.question.type == "text"}
    labels = {theme.id: theme.label for theme in c.codebook}
    page(c.results_url, "results.html", consultation=c, results=view, shown=TEXT_ANSWERS_SHOWN,
         answers_urls={qid: p[0]["url"] for qid, p in pages.items()}, theme_labels=labels)
    for q in view.questions:
        for number, current in enumerate(pages.get(q.question.id, ()), start=1):
            page(current["url"], "results_answers.html", consultation=c, question=q.question, answers=current["items"],
                 respondents=q.respondents, pagination=_pagination(pages[q.question.id], number),
                 theme_labels=labels, feed_url=feed_url(c.url))


def text_answer_pages(c: Consultation, question_id: str, answers: tuple[Any, ...], per_page: int) -> list[dict[str, Any]]:
    """A text question's answers: page 1 at resultats/<question>/, page n at resultats/<question>/<n>/."""
    return _paged(answers, per_page, _text_answers_first(c, question_id), "")


def _text_answers_first(c: Consultation, question_id: str) -> str:
    return f"{c.results_url}{question_id}/"


def _contribution_urls(site: Site, c: Consultation) -> dict[str, str]:
    """Each published contribution's id -> its place on the page that shows it."""
    per_page = site.config.contributions_per_page
    urls = {item.id: f"{p['url']}#contribution-{item.id}" for p in contribution_pages(c, per_page) for item in p["items"]}
    for proposal in c.proposals:
        urls.update({item.id: f"{p['url']}#contribution-{item.id}"
                     for p in comment_pages(proposal, per_page) for item in p["items"]})
    return urls


# A paged list: its items, the address of its first page, and what comes before a later page's number.
_Listed = tuple[tuple[Any, ...], str, str]


def contribution_pages(consultation: Consultation, per_page: int) -> list[dict[str, Any]]:
    """Page 1 at contributions/, page n at contributions/<n>/ (newest first); always at least one page."""
    items, first, rest = _contributions_listed(consultation)
    return _paged(items, per_page, first, rest)


def _contributions_listed(consultation: Consultation) -> _Listed:
    return consultation.contributions, consultation.url + CONTRIBUTIONS_SEGMENT, ""


def comment_pages(proposal: Proposal, per_page: int) -> list[dict[str, Any]]:
    """A proposal's comments, oldest first: page 1 on the proposal's own page, page n at comments/<n>/.
    Oldest first, as a conversation reads: a new comment only ever fills the last page, so the
    address of page n keeps showing the same comments."""
    items, first, rest = _comments_listed(proposal)
    return _paged(items, per_page, first, rest)


def _comments_listed(proposal: Proposal) -> _Listed:
    return proposal.comments, proposal.url, "comments/"


def _paged(items: tuple[Any, ...], per_page: int, first: str, rest: str) -> list[dict[str, Any]]:
    if len(items) <= per_page:  # one page, as the chunks below make it
        return [{"url": first, "items": items[0:per_page] or ()}]
    chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [()]
    return [{"url": _page_url(first, rest, n), "items": chunk} for n, chunk in enumerate(chunks, start=1)]


def _listed_urls(listed: _Listed, per_page: int) -> list[str]:
    items, first, rest = listed
    return _page_urls(len(items), per_page, first, rest)


def _page_urls(count: int, per_page: int, first: str, rest: str) -> list[str]:
    """The addresses of the pages _paged makes of `count` items (for the sitemap: without the pages)."""
    return [_page_url(first, rest, n) for n in range(1, max(1, -(-count // per_page)) + 1)]


def _page_url(first: str, rest: str, number: int) -> str:
    """The address of page `number` of a list _paged splits."""
    return first if number == 1 else f"{first}{rest}{number}/"


def _newest_paged(listed: _Listed, per_page: int, aware: Callable[[date | datetime], datetime]) -> list[tuple[Any, str]]:
    """The FEED_ENTRIES newest of a list of contributions or comments (ordered by moment, then id: the
    order of their feed entry ids, which share everything before the id), each with the address of
    the page _paged puts it on; without building anything for the others."""
    items, first, rest = listed
    chosen = heapq.nlargest(FEED_ENTRIES, range(len(items)), key=lambda i: (aware(items[i].submitted), items[i].id))
    return [(items[i], _page_url(first, rest, i // per_page + 1)) for i in chosen]


def _pagination(pages: list[dict[str, Any]], number: int) -> dict[str, Any]:
    if len(pages) == 1:  # most lists (a proposal's comments) fit on one page
        return {"number": 1, "total": 1, "previous": "", "next": "", "pages": [{"number": 1, "url": pages[0]["url"]}]}
    return {
        "number": number,
        "total": len(pages),
        "previous": pages[number - 2]["url"] if number > 1 else "",
        "next": pages[number]["url"] if number < len(pages) else "",
        "pages": [{"number": n, "url": pages[n - 1]["url"]} if n else {"number": 0, "url": ""}
                  for n in page_window(number, len(pages))],
    }


def page_window(number: int, total: int, around: int = 1) -> list[int]:
    """The page numbers a pagination links to: the first, the last and `around` either side of the
    current one, 0 standing for the pages left out (1 0 6 7 8 0 50). A gap of a single page shows
    that page instead: a link takes no more room than the ellipsis."""
    if total == 1:  # most lists (a proposal's comments) fit on one page
        return [1]
    wanted = sorted({1, total} | {n for n in range(number - around, number + around + 1) if 1 <= n <= total})
    shown: list[int] = []
    for n in wanted:
        if shown and n - shown[-1] == 2:
            shown.append(n - 1)
        elif shown and n - shown[-1] > 2:
            shown.append(0)
        shown.append(n)
    return shown


def consultation_forms(site: Site, consultation: Consultation, chrome: Mapping[str, Any]) -> list[FormView]:
    """The idea form and the questionnaire, each where the consultation takes it: two forms, so that
    an idea never has to answer the questionnaire, nor an answer come with an idea."""
    def form(kind: str, questions: tuple[Question, ...] = ()) -> FormView:
        categories = tuple((c.id, c.label) for c in consultation.categories) if BY_NAME[kind].category else ()
        return FormView(action=site.config.form_endpoint, kind=kind, consultation_slug=consultation.slug,
                        consultation_title=consultation.title, consultation_url=consultation.url,
                        questions=questions, max_length=site.config.max_length, categories=categories,
                        **form_links(chrome))

    return [form(kind, consultation.questions if BY_NAME[kind].questions else ())
            for kind in CONSULTATION_PAGE_FORMS
            if kind in consultation.kinds and (consultation.questions or not BY_NAME[kind].questions)]


def report_form(site: Site, consultation: Consultation, chrome: Mapping[str, Any]) -> FormView | None:
    """"Signaler ce contenu": the report form every published item of a post-moderated consultation
    shows, open or closed (what is published stays online, so it may be reported);
    `FormView.about(id)` names the item. None where the handler takes no report."""
    if consultation.moderation != "post":
        return None
    language = site.config.language
    return FormView(action=site.config.form_endpoint, kind="report", consultation_slug=consultation.slug,
                    consultation_title=consultation.title, consultation_url=consultation.url,
                    max_length=site.config.max_length,
                    reasons=tuple((code, reason_label(code, language)) for code in site.config.reasons),
                    **form_links(chrome))


def proposal_forms(site: Site, consultation: Consultation, links: FormLinks) -> Callable[[Proposal, str], FormView]:
    """form(proposal, kind): the form of that kind on a proposal's page. Only its target (the proposal,
    the consultation, where it posts) differs from one proposal to the next: the forms of a kind are
    made from one made for the first proposal (FormView.retargeted), and share one `untargeted`
    FormView (FormView.shared_untargeted) and one shape (FormView.shared_shape, for `by_proposal`)."""
    first: dict[str, FormView] = {}

    def form(proposal: Proposal, kind: str) -> FormView:
        base = first.get(kind)
        if base is None:
            whole = FormView(action=site.config.form_endpoint, kind=kind, consultation_slug=consultation.slug,
                              consultation_title=consultation.title, consultation_url=consultation.url,
                              proposal_slug=proposal.slug, proposal_title=proposal.title, proposal_url=proposal.url,
                              max_length=site.config.max_length,
                              verified=BY_NAME[kind].verifiable and consultation.verified_supports, **links)
            base = whole.retargeted(shared_untargeted=whole.untargeted)
            shape = base.retargeted(proposal_slug=PROPOSAL_PLACEHOLDER, proposal_title="", proposal_url="")
            base = first[kind] = base.retargeted(shared_shape=shape)
        return base.retargeted(proposal_slug=proposal.slug, proposal_title=proposal.title, proposal_url=proposal.url)

    return form


def _statement(site: Site) -> dict[str, Any]:
    """The generated accessibility statement's facts, from site.yaml."""
    config = site.config
    contacts = [c for c in (config.accessibility_contact, config.organisation.contact_email,
                            config.organisation.contact_url) if c]
    return {
        "status": config.accessibility_status,
        "audit_date": config.accessibility_audit_date,
        "contacts": [{"text": c, "href": c if "://" in c else f"mailto:{c}" if "@" in c else ""}
                     for c in dict.fromkeys(contacts)],
        "defender_url": config.defender_url,
        "non_conformities": config.non_conformities,
        "disproportionate_burden": config.disproportionate_burden,
        "exempt": config.exempt,
        "organisation": config.organisation.name,
        "address": config.organisation.address,
    }


def _opendata_view(site: Site) -> dict[str, Any]:
    """What the open data page lists: the files `opendata.render_open_data` writes under /data/."""
    files = [{"name": name, "path": f"{name}.csv", "url": f"{OPENDATA_URL}{name}.csv"}
             for name in ("consultations", "proposals", "contributions")]
    files.append({"name": "datapackage", "path": "datapackage.json", "url": f"{OPENDATA_URL}datapackage.json"})
    results = [{"title": c.title, "url": c.results_url,
                "files": [{"path": path, "url": OPENDATA_URL + path} for path in results_paths(c)]}
               for c in sorted(site.consultations, key=lambda c: c.slug) if c.shows_results]
    return {"files": files, "results": results, "licence": site.config.open_data_licence, "licence_url": site.config.open_data_licence_url}


def sitemap_urls(site: Site, lists: Mapping[str, facets.Lists]) -> list[str]:
    """Every public page (not the thank-you page, not 404), root-relative, sorted; `lists`: each
    consultation's proposal lists, by slug (those that list none left out)."""
    per_page = site.config.contributions_per_page
    urls = {HOME_URL, OPENDATA_URL, SEARCH_URL} | {p.url for p in site.pages}
    if _a11y_slug(site) not in {p.slug for p in site.pages}:
        urls.add(page_url(_a11y_slug(site)))
    for c in site.consultations:
        urls.update((c.url, c.moderation_url))
        if c.shows_results:
            urls.add(c.results_url)
            urls.update(url for q in c.questions if q.type == "text" and q.results == "public"
                        for url in _page_urls(_text_answer_count(c, q.id), TEXT_ANSWERS_PER_PAGE,
                                              _text_answers_first(c, q.id), ""))
        urls.update(_listed_urls(_contributions_listed(c), per_page))
        if c.slug in lists:
            urls.update(list_page_urls(site, lists[c.slug]))
        for p in c.proposals:
            urls.update(_listed_urls(_comments_listed(p), per_page))
    return sorted(urls)


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    url: str
    updated: str  # RFC 3339
    summary: str
    content_html: str = ""  # escaped by the template, as Atom type="html" wants


_Dated = tuple[datetime, str, tuple[Any, ...]]
# A consultation's newest dated items, by slug, for an equal consultation (frozen dataclasses compare
# by content; the very same object, the usual case in serve, compares at once): a rebuild after one
# edit dates again only the consultation that changed.
_NEWEST: dict[str, tuple[Consultation, tuple[Any, ...], list[_Dated]]] = {}


def _newest_items(site: Site, c: Consultation) -> list[_Dated]:
    """The FEED_ENTRIES newest (moment, entry id, what to make the entry of) of one consultation."""
    base, tz = site.config.base_url, site.config.tz
    settings = (base, tz, site.config.contributions_per_page)
    cached = _NEWEST.get(c.slug)
    if cached is not None and cached[1] == settings and cached[0] == c:
        return cached[2]
    found: list[_Dated] = []
    moments: dict[date | datetime, datetime] = {}  # many entries share a date
    # The FEED_ENTRIES newest moments met so far: an item older than all of them is never among the
    # newest entries, and its entry id (a string made for each status change of each proposal) is not made.
    newest: list[datetime] = []

    def aware(moment: date | datetime) -> datetime:
        when = moments.get(moment)
        if when is None:
            when = moments[moment] = _aware(moment, tz)
        return when

    def older(moment: date | datetime) -> bool:
        when = aware(moment)
        if len(newest) < FEED_ENTRIES:
            heapq.heappush(newest, when)
        elif when >= newest[0]:  # a tie may still win on its id
            heapq.heappushpop(newest, when)
        else:
            return True
        return False

    def add(moment: date | datetime, entry_id: str, *entry: Any) -> None:
        found.append((aware(moment), entry_id, entry))

    if c.status != "upcoming":
        add(c.opens, base + c.url, c.title, c.url, c.summary)
    per_page = site.config.contributions_per_page
    # Only a consultation's newest contributions, and each proposal's newest comments, can be among its
    # newest entries: the others are never made into one.
    for contribution, page in _newest_paged(_contributions_listed(c), per_page, aware):
        add(contribution.submitted, f"{base}{c.url}#contribution-{contribution.id}",
            contribution, f"{page}#contribution-{contribution.id}")
    for p in c.proposals:
        if p.origin == "citizen" and p.submitted and not older(p.submitted):
            add(p.submitted, f"{base}{p.url}", p, "proposal")
        if p.response_date and p.response_html and not older(p.response_date):
            add(p.response_date, f"{base}{p.url}#response-{p.response_date.isoformat()}", p, "response")
        for change in p.history:
            if not older(change.date):
                add(change.date, f"{base}{p.url}#status-{change.date.isoformat()}-{change.status}", p, change)
        if p.comments:
            for comment, page in _newest_paged(_comments_listed(p), per_page, aware):
                add(comment.submitted, f"{base}{p.url}#contribution-{comment.id}", p, comment, f"{page}#contribution-{comment.id}")
    newest_items = heapq.nlargest(FEED_ENTRIES, found, key=lambda item: (item[0], item[1]))
    if len(_NEWEST) >= 256:
        _NEWEST.pop(next(iter(_NEWEST)))
    _NEWEST[c.slug] = (c, settings, newest_items)
    return newest_items


def feed_entries(site: Site, only: Consultation | None = None) -> list[FeedEntry]:
    """Consultations, citizen proposals, official responses, proposals' status changes and published
    contributions, newest first."""
    base, lang = site.config.base_url, site.config.language
    # Only the newest FEED_ENTRIES become entries: the others are dated and dropped, never built.
    found = [item for c in ((only,) if only else site.consultations) for item in _newest_items(site, c)]
    labels: dict[str, str] = {}

    def entry(when: datetime, entry_id: str, args: tuple[Any, ...]) -> FeedEntry:
        first = args[0]
        if isinstance(first, Contribution):
            title, url, summary, html = _contribution_title(first, lang), args[1], "", str(first.body_html)
        elif isinstance(first, Proposal) and isinstance(args[1], Contribution):
            title, url, summary, html = translate(lang, "feed.comment", proposal=first.title), \
                args[2], "", str(args[1].body_html)
        elif isinstance(first, Proposal) and args[1] in ("proposal", "response"):
            key, html = ("feed.new_proposal", first.body_html) if args[1] == "proposal" else \
                ("feed.response", first.response_html)
            title, url, summary = translate(lang, key, proposal=first.title), first.url, first.summary
        elif isinstance(first, Proposal):
            change = args[1]
            label = labels.get(change.status) or labels.setdefault(change.status, status_text(site, change.status))
            title, url, summary, html = translate(lang, "feed.status_change", proposal=first.title, status=label), \
                first.url, change.note, ""
        else:
            title, url, summary, html = args[0], args[1], args[2], ""
        return FeedEntry(entry_id, title, base + url, when.isoformat(), summary, html)

    newest = heapq.nlargest(FEED_ENTRIES, found, key=lambda item: (item[0], item[1]))
    return [entry(*item) for item in newest]


def status_text(site: Site, status_id: str) -> str:
    """A proposal status's label: the site's own, else the translated default, else its id."""
    return status_labeler(site)(status_id)


def status_labeler(site: Site) -> Callable[[str], str]:
    """status_text for one site, as a function: the memo's key hashes every status, so a caller
    labelling each history entry of each proposal asks for it once."""
    return _status_labels(site.proposal_statuses, site.config.proposal_statuses, site.config.language)


@functools.lru_cache(maxsize=16)
def _status_labels(statuses: tuple[Any, ...], configured: tuple[tuple[str, str], ...],
                   language: str) -> Callable[[str], str]:
    # Called for every status change of every proposal: the label table is built once per site.
    labels = {s.id: s.label for s in statuses} | {k: v for k, v in configured if v}
    table = STRINGS.get(language, STRINGS["fr"])
    return lambda status_id: labels[status_id] if labels.get(status_id) else table.get(f"proposal_status.{status_id}", status_id)


def _contribution_title(contribution: Contribution, language: str) -> str:
    if contribution.title:
        return contribution.title
    author = contribution.author or translate(language, "contribution.anonymous")
    return translate(language, "feed.contribution", author=author)


def _feed(site: Site, env: jinja2.Environment, consultation: Consultation | None) -> bytes:
    """A feed (the site's, or a consultation's). Its context is made here, not deferred: a build with a
    cache reads each feed's entries in this process (build._feedless, build._shows_moment), so a
    deferred one would be made twice, in the worker that renders it and here."""
    return env.get_template("feed.xml").render(**_feed_context(site, consultation)).encode("utf-8")


def _feed_context(site: Site, consultation: Consultation | None) -> dict[str, Any]:
    entries = feed_entries(site, consultation)
    base = site.config.base_url
    page = consultation.url if consultation else HOME_URL
    updated = entries[0].updated if entries else _aware(site.now, site.config.tz).isoformat()
    return dict(entries=entries, updated=updated, consultation=consultation, feed_id=base + page,
                self_url=base + feed_url(page), home_url=base + page, site_title=site.config.title,
                author=site.config.organisation.name)


def _aware(moment: date | datetime, tz: tzinfo) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0), tz)
    return moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)
