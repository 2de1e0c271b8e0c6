"""The form handler through its sans-IO core and its adapters, against real inboxes."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import threading
from dataclasses import replace
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.kinds import BY_NAME
from consult.forms.core import Context, Request, Response, handle
from consult.forms.guard import Altcha, Guard, canonical
from consult.forms.secret import Secrets, load_secret, secrets_from_env
from consult.forms.intake import MAX_BODY_BYTES, Malformed, normalise, parse_body
from consult.forms.pages import Pages
from consult.forms.rules import parse_rules
from consult.render import chrome_for
from tests.helpers_site import make_site
from consult.inbox import Inbox, InboxError, open_inbox

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
SECRET = b"s" * 64
FORM = "application/x-www-form-urlencoded"

RULES = {
    "format": 1, "language": "fr", "endpoint": "/api/submit", "thanks_url": "/thanks/", "max_length": 500,
    "base_url": "https://consult.example.org", "chrome": {},
    "consultations": [
        {
            "slug": "velo", "title": "Plan vélo", "url": "/consultations/velo/",
            "opens": "2026-11-01T00:00:00+01:00", "closes": "2027-01-31T23:59:00+01:00",
            "kinds": ["suggestion", "comment", "support", "answers"],
            "questions": [
                {"id": "frequence", "label": "Fréquence ?", "type": "single", "required": True,
                 "choices": ["Jamais", "Souvent"], "min": 1, "max": 5, "max_length": 2000, "help": ""},
                {"id": "usages", "label": "Usages", "type": "multiple", "required": False,
                 "choices": ["Travail", "Loisirs", "Courses"], "min": 1, "max": 5, "max_length": 2000, "help": ""},
                {"id": "note", "label": "Note", "type": "scale", "required": False, "choices": [],
                 "min": 1, "max": 5, "max_length": 2000, "help": ""},
                {"id": "idee", "label": "Une idée", "type": "text", "required": False, "choices": [],
                 "min": 1, "max": 5, "max_length": 50, "help": ""},
            ],
            "proposals": [{"slug": "pistes", "title": "Des pistes", "url": "/consultations/velo/proposals/pistes/"},
                          {"slug": "passerelle", "title": "Une passerelle", "final": True,
                           "url": "/consultations/velo/proposals/passerelle/"}],
        },
        {
            "slug": "ancienne", "title": "Ancienne", "url": "/consultations/ancienne/",
            "opens": "2025-01-01T00:00:00+01:00", "closes": "2025-02-01T00:00:00+01:00",
            "kinds": ["suggestion"], "questions": [], "proposals": [],
        },
        {
            "slug": "bientot", "title": "Bientôt", "url": "/consultations/bientot/",
            "opens": "2027-06-01T00:00:00+02:00", "closes": "2027-07-01T00:00:00+02:00",
            "kinds": ["suggestion"], "questions": [], "proposals": [],
        },
    ],
}


def rules_text() -> str:
    return json.dumps(RULES, ensure_ascii=False)


def suggestion(**over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "suggestion", "consultation": "velo", "title": "Des arceaux", "body": "Plus d'arceaux, svp.",
        "author": "Ana", "email": "ana@example.org", "website": "", "idempotency_key": "",
    }
    fields.update(over)
    if "token" not in over:  # a token bound to the form it is sent with, shown two minutes ago
        fields["token"] = Guard(SECRET).token(NOW - timedelta(minutes=2), str(fields["consultation"]), str(fields["kind"]))
    return {k: v for k, v in fields.items() if v is not None}


def answers(**over: Any) -> dict[str, Any]:
    """The questionnaire, a form of its own: answers, no title or text."""
    return suggestion(**{"kind": "answers", "title": None, "body": None, "q_frequence": "Souvent", **over})


def make_ctx(inbox: Inbox, *, altcha_on: bool = False, **over: Any) -> Context:
    rules = parse_rules(json.dumps(dict(RULES, altcha=altcha_on), ensure_ascii=False))
    return Context(rules=rules, inbox=inbox, guard=Guard(SECRET), pages=Pages(rules), **over)


def post(ctx: Context, fields: dict[str, Any] | bytes, *, ctype: str = FORM, addr: str = "198.51.100.7",
         headers: dict[str, str] | None = None, now: datetime = NOW, path: str = "/api/submit") -> Response:
    body = fields if isinstance(fields, bytes) else urlencode(fields, doseq=True).encode("utf-8")
    all_headers = {"content-type": ctype, "user-agent": "Firefox", "host": "consult.example.org"}
    all_headers.update(headers or {})
    request = Request("POST", path, all_headers, body, addr, now, host="consult.example.org", scheme="https")
    return handle(request, ctx)


@pytest.fixture
def inbox(inbox_url: str):
    box = open_inbox(inbox_url)
    yield box
    box.close()


@pytest.fixture
def ctx(inbox: Inbox) -> Context:
    return make_ctx(inbox)


# --- the happy path -----------------------------------------------------------------


def test_valid_suggestion_is_stored_then_303(ctx: Context, inbox: Inbox) -> None:
    response = post(ctx, suggestion(body="Ligne 1\r\nLigne 2\r\n\r\n"))
    assert response.status == 303 and response.header("Location") == "/thanks/?back=/consultations/velo/"
    [row] = inbox.all()
    assert (row.kind, row.consultation, row.title, row.body) == ("suggestion", "velo", "Des arceaux", "Ligne 1\nLigne 2")
    assert row.answers == {}
    assert row.email == "ana@example.org" and row.quarantine == "" and row.flags == ""
    assert len(row.id) == 17 and row.id.startswith("20261201-")


def test_an_idea_alone_is_enough_where_a_questionnaire_has_required_questions(ctx: Context, inbox: Inbox) -> None:
    """Idea and questionnaire are two forms: a title and a text need no answer (q_frequence is required)."""
    assert post(ctx, suggestion(author="", email="")).status == 303
    assert [(r.kind, r.title, r.answers) for r in inbox.all()] == [("suggestion", "Des arceaux", {})]


def test_the_questionnaire_is_kind_answers(ctx: Context, inbox: Inbox) -> None:
    response = post(ctx, answers(q_usages=["Loisirs", "Travail"], q_note="4", title="ignored", body="ignored"))
    assert response.status == 303
    [row] = inbox.all()
    assert (row.kind, row.title, row.body) == ("answers", "", "")
    assert row.answers == {"frequence": "Souvent", "usages": ["Travail", "Loisirs"], "note": "4"}


def test_the_questionnaire_needs_its_required_answers_and_keeps_them(ctx: Context, inbox: Inbox) -> None:
    for context in (ctx, themed_ctx(inbox)):  # the plain page (no theme) and the theme's
        response = post(context, answers(q_frequence="", q_usages=["Loisirs"], q_idee="Mon <idée>"))
        html = response.body.decode()
        assert response.status == 422 and inbox.all() == []
        assert "Répondez à la question" in html and "Fréquence ?" in html
        assert 'name="kind" value="answers"' in html and 'name="title"' not in html and 'name="body"' not in html
        assert "Mon &lt;idée&gt;" in html and "Loisirs" in html
    assert 'href="#answers-q_frequence-1"' in html and 'value="Loisirs" checked' in html
    nothing = post(ctx, answers(q_frequence=None))
    assert nothing.status == 422 and "Répondez à la question" in nothing.body.decode()
    optional = json.loads(rules_text())
    optional["consultations"][0]["questions"][0]["required"] = False
    ctx.rules = ctx.pages.rules = parse_rules(json.dumps(optional))  # type: ignore[union-attr]
    blank = post(ctx, answers(q_frequence=None))
    assert blank.status == 422 and "Répondez à au moins une question." in blank.body.decode()
    assert inbox.all() == []


def test_json_intake(ctx: Context, inbox: Inbox) -> None:
    data = answers(q_usages=["Courses"])
    response = post(ctx, json.dumps(data).encode(), ctype="application/json; charset=utf-8")
    assert response.status == 200 and json.loads(response.body) == {"received": True}
    assert inbox.all()[0].answers["usages"] == ["Courses"]


def test_comment_and_support(ctx: Context, inbox: Inbox) -> None:
    assert post(ctx, suggestion(kind="comment", proposal="pistes", q_frequence=None, title=None)).status == 303
    assert post(ctx, support_fields()).status == 303
    rows = {r.kind: r for r in inbox.all()}
    assert rows["comment"].proposal == "pistes" and rows["comment"].answers == {}
    assert rows["support"].voter and rows["support"].body == ""


def themed_ctx(inbox: Inbox) -> Context:
    """A context whose rules carry the theme's chrome, as a built site's do (thank-you pages, page chrome)."""
    ctx = make_ctx(inbox)
    ctx.rules = replace(ctx.current_rules(), chrome=chrome_for(make_site()))
    ctx.pages = Pages(ctx.rules)
    return ctx


def test_each_thank_you_names_its_outcome_and_the_page_to_go_back_to(inbox: Inbox) -> None:
    ctx = themed_ctx(inbox)
    support = {"kind": "support", "consultation": "velo", "proposal": "pistes", "website": "",
               "token": Guard(SECRET).token(NOW - timedelta(minutes=2), "velo", "support")}
    back_to_proposal = "?back=/consultations/velo/proposals/pistes/"
    assert post(ctx, suggestion()).header("Location") == "/thanks/?back=/consultations/velo/"
    assert post(ctx, answers()).header("Location") == "/thanks/answers/?back=/consultations/velo/"
    assert post(ctx, suggestion(kind="comment", proposal="pistes", title=None)).header("Location") == \
        "/thanks/comment/" + back_to_proposal
    assert post(ctx, support).header("Location") == "/thanks/support/" + back_to_proposal
    # A second support from the same voter is counted once, and the citizen is told so (still a 303:
    # Back never offers to send the form again).
    again = post(ctx, support)
    assert again.status == 303 and again.header("Location") == "/thanks/supported/" + back_to_proposal
    assert [r.kind for r in inbox.all()].count("support") == 1
    # Without a theme's chrome (rules from an older build), the generic page, still with the way back.
    assert post(make_ctx(inbox), suggestion(body="autre")).header("Location") == "/thanks/?back=/consultations/velo/"


def test_token_endpoint_gives_a_token_bound_to_its_form() -> None:
    ctx = make_ctx(inbox=None)  # type: ignore[arg-type]
    response = handle(Request("GET", "/api/token", {}, b"", "x", NOW, query="consultation=velo&kind=support"), ctx)
    token = json.loads(response.body)["token"]
    assert response.status == 200 and response.header("Cache-Control") == "no-store"
    guard = Guard(SECRET)
    assert guard.check_token(token, NOW + timedelta(seconds=10), "velo", "support") == "ok"
    assert guard.check_token(token, NOW + timedelta(milliseconds=500), "velo", "support") == "too-fast"
    assert guard.check_token(token, NOW + timedelta(days=2), "velo", "support") == "old-token"
    assert guard.check_token(token, NOW + timedelta(seconds=10), "velo", "comment") == "foreign-token"
    assert guard.check_token(token, NOW + timedelta(seconds=10), "parcs", "support") == "foreign-token"
    rebound = token.replace(".velo.support.", ".parcs.support.")  # its binding is signed too
    assert guard.check_token(rebound, NOW + timedelta(seconds=10), "parcs", "support") == "bad-token"
    assert guard.check_token("1.2.3", NOW, "velo", "support") == "bad-token"
    assert guard.check_token("", NOW, "velo", "support") == "no-token"
    assert Guard(b"t" * 64).check_token(token, NOW + timedelta(seconds=10), "velo", "support") == "bad-token"
    unbound = json.loads(handle(Request("GET", "/api/token", {}, b"", "x", NOW, query="kind=../x"), ctx).body)["token"]
    assert guard.check_token(unbound, NOW + timedelta(seconds=10), "velo", "suggestion") == "foreign-token"


@pytest.mark.parametrize("kind", sorted(BY_NAME))
def test_every_kind_s_form_gets_a_token_bound_to_it(kind: str) -> None:
    """The questionnaire (`answers`) once got a token bound to no kind: every answer was flagged."""
    ctx = make_ctx(inbox=None)  # type: ignore[arg-type]
    query = f"consultation=velo&kind={kind}"
    token = json.loads(handle(Request("GET", "/api/token", {}, b"", "x", NOW, query=query), ctx).body)["token"]
    assert Guard(SECRET).check_token(token, NOW + timedelta(minutes=1), "velo", kind) == "ok"


def test_routes_and_methods() -> None:
    ctx = make_ctx(inbox=None)  # type: ignore[arg-type]
    assert handle(Request("GET", "/api/nope", {}, b"", "x", NOW), ctx).status == 404
    assert handle(Request("GET", "/api/submit", {}, b"", "x", NOW), ctx).status == 405
    assert handle(Request("POST", "/api/token", {}, b"", "x", NOW), ctx).status == 405
    assert handle(Request("GET", "/token", {}, b"", "x", NOW), ctx).status == 200  # mounted without prefix
    assert handle(Request("GET", "/api/altcha", {}, b"", "x", NOW), ctx).status == 404  # ALTCHA off


# --- mistakes: the form again, everything kept ---------------------------------------


def test_mistakes_redisplay_the_form_with_everything_typed(ctx: Context, inbox: Inbox) -> None:
    typed = 'Mon <b>idée</b> & "guillemets" ' + "x" * 600
    response = post(ctx, suggestion(body=typed, email="pas-une-adresse", author="<i>Zoé</i>",
                                    idempotency_key="key-12345678"))
    html = response.body.decode()
    assert response.status == 422 and inbox.all() == []
    assert "Mon &lt;b&gt;idée&lt;/b&gt; &amp; &#34;guillemets&#34; " + "x" * 600 in html or \
        "Mon &lt;b&gt;idée&lt;/b&gt; &amp; &quot;guillemets&quot; " + "x" * 600 in html
    assert "&lt;i&gt;Zoé&lt;/i&gt;" in html and "pas-une-adresse" in html
    assert "key-12345678" in html
    assert "500 caractères" in html and "adresse électronique" in html
    assert "<b>idée</b>" not in html and "<i>Zoé" not in html


def test_empty_comment_needs_a_body(ctx: Context) -> None:
    response = post(ctx, {"kind": "comment", "consultation": "velo", "proposal": "pistes", "body": "  \n "})
    assert response.status == 422 and "Écrivez votre texte" in response.body.decode()


def test_scale_out_of_range_and_long_text_answer(ctx: Context) -> None:
    response = post(ctx, answers(q_note="9", q_idee="y" * 51))
    assert response.status == 422
    assert "entre 1 et 5" in response.body.decode() and "50 caractères" in response.body.decode()


def test_json_mistakes_are_json(ctx: Context) -> None:
    response = post(ctx, json.dumps(answers(q_frequence="")).encode(), ctype="application/json")
    assert response.status == 422 and json.loads(response.body)["errors"][0]["field"] == "q_frequence"


@pytest.mark.parametrize("slug,status", [("ancienne", "close"), ("bientot", "pas encore ouverte")])
def test_closed_or_upcoming_refuses_politely_and_shows_the_text(ctx: Context, inbox: Inbox, slug: str, status: str) -> None:
    response = post(ctx, suggestion(consultation=slug, q_frequence=None, body="Mon texte <script>x</script>"))
    html = response.body.decode()
    assert response.status == 403 and status in html
    assert "Mon texte &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert inbox.all() == []


# --- malformed intake: a clear 4xx, nothing stored ----------------------------------------


MALFORMED = {
    "unknown field": urlencode(suggestion(extra="1")).encode(),
    "repeated field": urlencode(suggestion(), doseq=True).encode() + b"&body=again",
    "bad utf-8 escaped": urlencode(suggestion()).encode() + b"&author=%C3%28",
    "bad utf-8 raw": b"kind=suggestion&consultation=velo&body=\xff\xfe",
    "NUL": urlencode(suggestion(body="a\x00b")).encode(),
    "control": urlencode(suggestion(title="a\x1bb")).encode(),
    "traversal consultation": urlencode(suggestion(consultation="../../etc")).encode(),
    "traversal proposal": urlencode(suggestion(kind="comment", proposal="../x", q_frequence=None)).encode(),
    "unknown kind": urlencode(suggestion(kind="../../x")).encode(),
    "kind not allowed": urlencode(suggestion(consultation="ancienne", kind="comment", proposal="pistes")).encode(),
    "bad idempotency key": urlencode(suggestion(idempotency_key="../../../etc/passwd")).encode(),
    "unknown question": urlencode(answers(q_zzz="1")).encode(),
    "tampered choice": urlencode(answers(q_frequence="Toujours")).encode(),
    "answers on an idea": urlencode(suggestion(q_frequence="Souvent")).encode(),
    "answers without questionnaire": urlencode(answers(consultation="bientot")).encode(),
    "proposal on suggestion": urlencode(suggestion(proposal="pistes")).encode(),
    "unknown proposal": urlencode(suggestion(kind="support", proposal="nope")).encode(),
}


# Where a citizen's browser gets its text back: the same form again (the consultation is known and
# open, and the form has a place for every text typed), or a notice with the text to copy.
REDISPLAYED = {"unknown field", "repeated field", "bad utf-8 escaped", "control", "bad idempotency key",
               "tampered choice", "NUL", "bad utf-8 raw"}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_are_400_and_store_nothing(ctx: Context, inbox: Inbox, case: str) -> None:
    response = post(ctx, MALFORMED[case])
    assert response.status == 400, response.body[:500]
    assert inbox.all() == []
    page = html.unescape(response.body.decode())
    if case != "bad utf-8 raw":  # its text is not UTF-8: nothing to give back
        sent: dict[str, str] = {}
        for name, value in parse_qsl(MALFORMED[case].decode()):
            sent.setdefault(name, value)
        typed = sent.get("body") or (sent.get("q_frequence") if sent.get("q_frequence") == "Souvent" else "Ana")
        assert ("ab" if case == "NUL" else typed) in page, page
    if case in REDISPLAYED:
        assert '<form method="post" action="/api/submit">' in page and "le formulaire a changé" in page
        assert "../../../etc/passwd" not in page
    else:
        assert "<form" not in page and "Voici le texte que vous avez écrit" in page


def test_a_form_that_changed_since_it_was_loaded_comes_back_with_what_it_can_show(ctx: Context, inbox: Inbox) -> None:
    """A choice removed from the site meanwhile: the form again, the choice left out, every text kept;
    an answer to a question removed meanwhile has no place in the form: the text to copy, labelled."""
    response = post(ctx, answers(q_frequence="Toujours", q_usages=["Loisirs", "Autrefois"], q_idee="Mon idée",
                                 idempotency_key="key-12345678"))
    page = html.unescape(response.body.decode())
    assert response.status == 400 and "le formulaire a changé" in page
    assert "Mon idée" in page and "Ana" in page
    assert 'name="q_usages" value="Loisirs"' in page and "Toujours" not in page and "Autrefois" not in page
    assert "key-12345678" not in page  # a fresh key: the old one may be what was wrong
    response = post(ctx, answers(q_ancienne="Ma réponse à une question retirée"))
    page = html.unescape(response.body.decode())
    assert response.status == 400 and "<form" not in page
    assert "Ma réponse à une question retirée" in page and "Réponse « ancienne »" in page
    assert "Souvent" in page and 'href="/consultations/velo/"' in page
    assert inbox.all() == []


def test_a_choice_written_decomposed_is_accepted(inbox: Inbox, tmp_path: Path) -> None:
    """A choice label typed in NFD in index.md: the page shows it, the browser sends it back, the
    handler stores it, whichever form the page or the rules file (an older build's) spelled it in."""
    from consult.build import check_site
    from consult.scaffold import init_site

    site = tmp_path / "site"
    init_site(site)
    index = site / "content/consultations/exemple/index.md"
    nfd = "E\u0301te\u0301 comme hiver"
    index.write_text(index.read_text(encoding="utf-8").replace('"Parfois"', f'"{nfd}"'), encoding="utf-8")
    files = check_site(site, NOW).files
    page = files["consultations/exemple/index.html"].decode()
    assert 'value="Été comme hiver"' in page and nfd not in page
    rules_json = files["consult-rules.json"].decode()
    assert "Été comme hiver" in rules_json and nfd not in rules_json
    old_rules = rules_json.replace("Été comme hiver", nfd)  # as a build before NFC gave it
    for n, (rules, sent) in enumerate([(r, v) for r in (parse_rules(rules_json), parse_rules(old_rules))
                                       for v in ("Été comme hiver", nfd)]):
        ctx = Context(rules=rules, inbox=inbox, guard=Guard(SECRET), pages=Pages(rules, site))
        fields = answers(consultation="exemple", q_frequence=None, q_usage=sent, author=f"Auteur {n}")
        assert post(ctx, fields).status == 303
    assert [row.answers["usage"] for row in inbox.all()] == ["Été comme hiver"] * 4
    # A choice the page no longer offers, through the site's theme: the form again, every text kept.
    ctx = Context(rules=parse_rules(rules_json), inbox=inbox, guard=Guard(SECRET), pages=Pages(parse_rules(rules_json), site))
    response = post(ctx, answers(consultation="exemple", q_frequence=None, q_usage="Toujours",
                                 q_attentes=["Plus de bancs"], author="Mon nom à garder"))
    page = html.unescape(response.body.decode())
    assert response.status == 400 and "le formulaire a changé" in page and "Mon nom à garder" in page
    assert re.search(r'value="Plus de bancs"\s+checked', page) and 'class="error-summary"' in page
    assert len(inbox.all()) == 4


def test_odd_numbers_on_a_scale_are_a_mistake_not_a_crash(ctx: Context, inbox: Inbox) -> None:
    for odd in ("²", "٣", "3" * 5000, "-" + "9" * 20, "3.0", "", " 4 "):
        response = post(ctx, answers(q_note=odd, author=f"Texte {len(odd)}"))
        if odd.strip() in ("", "4"):
            assert response.status == 303, odd
            continue
        assert response.status == 422, odd[:20]
        assert "entre 1 et 5" in response.body.decode() and f"Texte {len(odd)}" in response.body.decode()
    assert sorted(row.answers.get("note", "") for row in inbox.all()) == ["", "4"]


def test_deeply_nested_json_is_a_400(ctx: Context, inbox: Inbox) -> None:
    for nested in (b"[" * 100_000 + b"]" * 100_000, b'{"body": ' + b"[" * 60_000 + b"]" * 60_000 + b"}",
                   b'{"a":' * 40_000 + b"1" + b"}" * 40_000):  # all under the size cap
        response = post(ctx, nested, ctype="application/json")
        assert response.status == 400 and "error" in json.loads(response.body)
    assert inbox.all() == []


def test_size_and_media_type(ctx: Context, inbox: Inbox) -> None:
    assert post(ctx, b"body=" + b"a" * MAX_BODY_BYTES).status == 413
    assert post(ctx, b"--x\r\n", ctype="multipart/form-data; boundary=x").status == 415
    assert post(ctx, urlencode(suggestion()).encode("latin-1", "replace"), ctype=FORM + "; charset=latin-1").status == 415
    assert post(ctx, b"[1]", ctype="application/json").status == 400
    assert post(ctx, b'{"body": 3}', ctype="application/json").status == 400
    assert post(ctx, b'{"body": "\\ud800"}', ctype="application/json").status == 400
    assert inbox.all() == []


def test_normalisation() -> None:
    assert normalise("a\r\nb\rc\u2028d\x0be") == "a\nb\nc\nd\ne"
    assert normalise("e\u0301") == "\u00e9"
    with pytest.raises(Malformed):
        normalise("\x7f")
    intake = parse_body(b"title=%E2%80%AEabc&body=a%09b", FORM)
    assert intake.fields["body"] == ["a\tb"]


# --- fuzzing: whatever arrives, never a 5xx; a browser's citizen gets the text back ------------------

MARKER = "Mon texte à garder, 42"
# (how the body is written, the Content-Type sent): mostly what browsers and scripts send.
TRANSPORTS = [("form", FORM)] * 4 + [("json", "application/json")] * 2 + [
    ("form", FORM + "; charset=UTF-8"), ("form", FORM + "; charset=latin-1"), ("form", "text/plain"), ("form", ""),
    ("json", "application/json; charset=utf-8"), ("json", "multipart/form-data; boundary=x"),
    ("raw", FORM), ("raw", "application/json")]
# Mostly the names and values a form has, or nearly (sampled twice as often as any text).
ODD_VALUES = st.sampled_from(["²", "٣", "9" * 5000, "-3", "\x00", "a\x1bb", "\ud7ff", "e\u0301", "../../x", "",
                              "Souvent", "Loisirs", "pistes", "velo", "ancienne", "comment", "support"])
odd_text = st.one_of(ODD_VALUES, ODD_VALUES, st.text(max_size=30))
odd_values = st.one_of(odd_text, odd_text, st.lists(odd_text, max_size=3))
FIELD_NAMES = st.sampled_from(["kind", "consultation", "proposal", "title", "author", "email", "website", "token",
                               "idempotency_key", "altcha", "q_zzz"])
QUESTION_FIELDS = st.sampled_from(["q_frequence", "q_usages", "q_note", "q_idee"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(QUESTION_FIELDS, odd_values, max_size=2),
       changes=st.dictionaries(st.one_of(FIELD_NAMES, FIELD_NAMES, st.text(max_size=12)), odd_values, max_size=2),
       extra=st.lists(st.tuples(st.one_of(FIELD_NAMES, QUESTION_FIELDS, st.text(max_size=12)), odd_text), max_size=2),
       transport=st.sampled_from(TRANSPORTS), raw=st.binary(max_size=200), addr=st.integers(0, 255))


def test_fuzzed_submissions_are_never_a_5xx_and_keep_the_text(
        ctx: Context, answers: dict[str, Any], changes: dict[str, Any], extra: list[tuple[str, str]],
        transport: tuple[str, str], raw: bytes, addr: int) -> None:
    """Odd values in known fields, unknown fields, repeats, other media types, bytes: the answer is
    never a 5xx, and whenever a browser's form is refused, the page gives its text back."""
    fields = suggestion(**{name: value for name, value in {**answers, **changes}.items() if name != "body"}, body=MARKER)
    encoding, ctype = transport
    if encoding == "raw":
        body = raw
    elif encoding == "json":
        body = json.dumps({**fields, **dict(extra)}).encode("utf-8", "surrogatepass")
    else:
        body = (urlencode(fields, doseq=True) + "&" + urlencode(extra)).encode("utf-8", "surrogatepass")
    response = post(ctx, body, ctype=ctype, addr=f"198.51.100.{addr}")
    assert response.status in (200, 303, 400, 403, 409, 413, 415, 422, 429), response.body[:300]
    if response.status >= 400 and encoding == "form" and ctype.partition(";")[0] == FORM:
        assert MARKER in html.unescape(response.body.decode("utf-8")), (response.status, response.body[:2000])


# --- abuse: a flag a moderator sees, never a drop ------------------------------------------


def pull_into(root: Path, inbox: Inbox) -> dict[str, str]:
    """`consult pull` into a bare content/ folder for the rules' consultations: id -> file text."""
    import shutil

    from consult.pull import pull
    from tests.conftest import REPO

    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    for slug in ("velo", "ancienne", "bientot"):
        folder = root / "content" / "consultations" / slug
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.md").touch()
    report = pull(root, inbox, now=NOW, tz=timezone.utc, retention_days=365)
    return {id_: (root / path).read_text(encoding="utf-8") for path, id_, _ in report.written}


@pytest.mark.parametrize("fields,headers,flag", [
    ({"token": "123.abc.def"}, {}, "bad-token"),
    ({"token": Guard(SECRET).token(NOW, "velo", "suggestion")}, {}, "too-fast"),
    ({"token": Guard(SECRET).token(NOW - timedelta(minutes=3), "velo", "comment")}, {}, "foreign-token"),
    ({"token": Guard(SECRET).token(NOW - timedelta(minutes=3), "ancienne", "suggestion")}, {}, "foreign-token"),
    ({"token": ""}, {}, "no-token"),
    ({"token": Guard(SECRET).token(NOW - timedelta(days=3), "velo", "suggestion")}, {}, "old-token"),
    ({}, {"origin": "null"}, "cross-site"),
    ({}, {"sec-fetch-site": "cross-site"}, "cross-site"),
    ({}, {"origin": "https://evil.example"}, "cross-site"),
])
def test_each_suspicion_is_a_flag_and_the_row_is_pulled(ctx: Context, inbox: Inbox, disk_dir: Path,
                                                       fields: dict[str, str], headers: dict[str, str],
                                                       flag: str) -> None:
    response = post(ctx, suggestion(**fields, body=f"suspect {flag}"), headers=headers)
    assert response.status == 303
    [row] = inbox.all()
    assert flag in row.flags.split(",") and row.quarantine == ""
    pulled = pull_into(disk_dir, inbox)
    assert list(pulled) == [row.id] and f"suspect {flag}" in pulled[row.id]
    assert f"- {flag}\n" in pulled[row.id].split("\n---", 1)[0]  # in the front matter's flags: list
    assert inbox.counts() == {"written": 1}  # exported once a later pull finds its file delivered


def test_rate_limit_flags_then_refuses_keeping_the_text(inbox: Inbox, disk_dir: Path) -> None:
    ctx = make_ctx(inbox, rate_soft=2, rate_hard=3)
    statuses = [post(ctx, suggestion(body=f"texte {n}")).status for n in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert [r.flags for r in inbox.all()].count("rate") == 1
    refused = post(ctx, suggestion(body="gardé"))
    assert refused.status == 429 and "gardé" in refused.body.decode()
    assert post(ctx, suggestion(body="autre"), addr="192.0.2.1").status == 303  # another address
    assert post(ctx, suggestion(body="demain"), now=NOW + timedelta(hours=1)).status == 303  # next hour
    assert len(pull_into(disk_dir, inbox)) == 5 and inbox.held_count() == 0


def test_signals_add_up(ctx: Context, inbox: Inbox) -> None:
    post(ctx, suggestion(token=""), headers={"origin": "https://evil.example"})
    assert inbox.all()[0].flags == "no-token,cross-site"


def test_same_origin_is_clean(ctx: Context, inbox: Inbox) -> None:
    post(ctx, suggestion(), headers={"origin": "https://consult.example.org", "sec-fetch-site": "same-origin"})
    assert inbox.all()[0].flags == ""


def test_honeypot_is_held_listed_released_and_never_purged_unreviewed(ctx: Context, inbox: Inbox,
                                                                      disk_dir: Path) -> None:
    from consult.held import render_held

    response = post(ctx, suggestion(website="http://spam.example", body="Caught <b>by</b> the\u202etrap"))
    assert response.status == 303  # a bot learns nothing
    [row] = inbox.all()
    assert row.quarantine == "honeypot" and row.flags == "honeypot"
    assert pull_into(disk_dir, inbox) == {} and inbox.held_count() == 1
    listing = render_held(inbox.held(), "en")
    assert row.id in listing and "Trap field filled in" in listing and "Caught <b>by</b> the\\u202etrap" in listing
    assert "ana@example.org" not in listing and "198.51.100.7" not in listing
    assert inbox.purge(NOW + timedelta(days=4000), 365, {}) is not None and inbox.held_count() == 1  # nobody decided yet
    assert inbox.release([row.id, "20261201-nothere0"]) == {row.id: "released", "20261201-nothere0": "unknown"}
    assert inbox.release([row.id]) == {row.id: "not-held"}
    pulled = pull_into(disk_dir, inbox)
    assert list(pulled) == [row.id] and inbox.get(row.id).flags == "honeypot"  # pulled, flag kept


def support_fields(**over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": "support", "consultation": "velo", "proposal": "pistes", "website": "",
                              "token": Guard(SECRET).token(NOW - timedelta(minutes=1), "velo", "support")}
    fields.update(over)
    return fields


def test_a_support_without_a_valid_token_asks_for_one_more_click(ctx: Context, inbox: Inbox) -> None:
    for token in ("", "123.abc.def", Guard(SECRET).token(NOW - timedelta(days=3), "velo", "support"),
                  Guard(SECRET).token(NOW - timedelta(minutes=3), "velo", "suggestion")):
        response = post(ctx, support_fields(token=token))
        html = response.body.decode()
        assert response.status == 422 and "confirmer votre soutien" in html and inbox.all() == []
        fresh = html.split('name="token" value="', 1)[1].split('"', 1)[0]
        assert Guard(SECRET).check_token(fresh, NOW + timedelta(seconds=5), "velo", "support") == "ok"
    assert post(ctx, support_fields(token=fresh), now=NOW + timedelta(seconds=5)).status == 303
    assert inbox.support_tallies() == {"velo": {"pistes": 1}}


def test_no_support_for_a_proposal_whose_status_is_final(ctx: Context, inbox: Inbox) -> None:
    response = post(ctx, support_fields(proposal="passerelle"))
    html = response.body.decode()
    assert response.status == 403 and "ne reçoit plus de soutiens" in html and "Une passerelle" in html
    assert 'href="/consultations/velo/proposals/passerelle/"' in html and inbox.all() == []
    as_json = post(ctx, json.dumps(support_fields(proposal="passerelle")).encode(), ctype="application/json")
    assert as_json.status == 403 and inbox.all() == []
    comment = suggestion(kind="comment", proposal="passerelle", q_frequence=None, title=None)
    assert post(ctx, comment).status == 303  # the debate on it goes on


def test_a_flagged_support_is_held_and_not_counted_until_released(ctx: Context, inbox: Inbox) -> None:
    assert post(ctx, support_fields(), headers={"origin": "https://evil.example"}).status == 303
    assert post(ctx, support_fields(), addr="192.0.2.5").status == 303  # another voter, clean
    assert inbox.support_tallies() == {"velo": {"pistes": 1}}
    [held] = inbox.held()
    assert held.quarantine == "cross-site" and held.flags == "cross-site"
    assert inbox.release([held.id]) == {held.id: "released"}
    assert inbox.support_tallies() == {"velo": {"pistes": 2}}


def test_releasing_a_second_support_of_the_same_voter_keeps_one(ctx: Context, inbox: Inbox) -> None:
    post(ctx, support_fields(idempotency_key="framed-page-1"), headers={"origin": "https://evil.example"})  # held
    post(ctx, support_fields(idempotency_key="our-own-page-1"))  # the same voter, clean: counted
    [held] = inbox.held()
    assert inbox.release([held.id]) == {held.id: "duplicate"}
    assert inbox.support_tallies() == {"velo": {"pistes": 1}} and inbox.held() == [] and len(inbox.all()) == 1


def test_rate_keys_rotate_daily_and_hide_the_address() -> None:
    guard = Guard(SECRET)
    key = guard.rate_key("198.51.100.7", NOW)
    assert key != guard.rate_key("198.51.100.7", NOW + timedelta(days=1))
    assert "198" not in key and key == guard.rate_key("198.51.100.7", NOW + timedelta(hours=5))


# --- duplicates ------------------------------------------------------------------------------


def test_same_key_same_body_is_one_row(ctx: Context, inbox: Inbox) -> None:
    fields = suggestion(idempotency_key="abcdefgh-1234")
    assert [post(ctx, fields).status for _ in range(3)] == [303, 303, 303]
    assert len(inbox.all()) == 1


def test_same_key_other_body_is_409_with_text_kept_and_a_fresh_key(ctx: Context, inbox: Inbox) -> None:
    post(ctx, suggestion(idempotency_key="abcdefgh-1234"))
    response = post(ctx, suggestion(idempotency_key="abcdefgh-1234", body="Autre texte <3"))
    html = response.body.decode()
    assert response.status == 409 and "Autre texte &lt;3" in html and "abcdefgh-1234" not in html
    assert len(inbox.all()) == 1


def test_without_javascript_a_double_click_still_collapses(ctx: Context, inbox: Inbox) -> None:
    fields = suggestion(token="", idempotency_key="")
    assert post(ctx, fields).status == 303 and post(ctx, fields).status == 303
    assert len(inbox.all()) == 1
    post(ctx, fields, addr="192.0.2.44")  # another citizen, same words: kept
    assert len(inbox.all()) == 2


class Clock:
    """The handler's clock, moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_two_people_behind_one_address_are_two_rows_a_double_click_is_one(rules_file: Path, inbox_url: str,
                                                                          disk_dir: Path) -> None:
    """Without JavaScript (no idempotency key, no token), through the real WSGI app."""
    from consult.forms.wsgi import make_app

    clock = Clock(NOW)
    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=clock)
    town_hall = {"REMOTE_ADDR": "203.0.113.50", "HTTP_USER_AGENT": "Firefox/140"}
    same_answers = urlencode(answers(token="", idempotency_key="", author="", email=""), doseq=True).encode()

    def send() -> str:
        return wsgi_call(app, "POST", "/api/submit", same_answers, **town_hall)[0]

    assert [send(), send()] == ["303 See Other"] * 2  # a double click
    clock.now = NOW + timedelta(seconds=3)
    assert send() == "303 See Other"  # the browser's retry
    assert len(app.ctx.inbox.all()) == 1
    clock.now = NOW + timedelta(minutes=4)  # another citizen at the same Wi-Fi, the same answers
    assert send() == "303 See Other"
    assert len(app.ctx.inbox.all()) == 2
    edge = datetime.fromtimestamp((int(NOW.timestamp()) // 10 + 100) * 10, timezone.utc)
    clock.now = edge - timedelta(seconds=1)
    send()
    clock.now = edge + timedelta(seconds=1)  # a double click across a time window's edge
    send()
    assert len(app.ctx.inbox.all()) == 3
    app.ctx.inbox.close()


def test_a_page_with_a_token_is_one_send_two_page_views_are_two(ctx: Context, inbox: Inbox) -> None:
    first_view = suggestion(token=Guard(SECRET).token(NOW - timedelta(minutes=3), "velo", "suggestion"),
                            idempotency_key="")
    second_view = suggestion(token=Guard(SECRET).token(NOW - timedelta(minutes=2), "velo", "suggestion"),
                             idempotency_key="")
    assert post(ctx, first_view).status == 303
    assert post(ctx, first_view, now=NOW + timedelta(minutes=5)).status == 303  # the same page, sent again later
    assert len(inbox.all()) == 1
    assert post(ctx, second_view, now=NOW + timedelta(minutes=5)).status == 303  # another view, the same words
    assert len(inbox.all()) == 2


def test_one_support_per_connection_whatever_the_browser_says(ctx: Context, inbox: Inbox) -> None:
    for n in range(3):
        assert post(ctx, support_fields(idempotency_key=f"page-{n}-123")).status == 303
    post(ctx, support_fields(idempotency_key="other-browser"), headers={"user-agent": "Chrome/141"})
    post(ctx, support_fields(idempotency_key="no-browser"), headers={"user-agent": ""})
    assert inbox.support_tallies() == {"velo": {"pistes": 1}}
    post(ctx, support_fields(), addr="192.0.2.2")  # another connection
    assert inbox.support_tallies() == {"velo": {"pistes": 2}}


def test_ipv6_counts_per_64_for_supports_and_rate_limits(inbox: Inbox) -> None:
    ctx = make_ctx(inbox, rate_soft=3, rate_hard=5)
    for n in range(1, 7):  # one subscriber's /64, a new address each time
        post(ctx, support_fields(idempotency_key=f"ipv6-page-{n}"), addr=f"2001:db8:1:2::{n:x}")
    assert inbox.support_tallies() == {"velo": {"pistes": 1}}
    assert post(ctx, suggestion(body="Encore"), addr="2001:db8:1:2:ffff::1").status == 429  # the same /64
    assert post(ctx, support_fields(), addr="2001:db8:1:3::1").status == 303  # another /64
    assert post(ctx, support_fields(idempotency_key="mapped-page"), addr="::ffff:198.51.100.7").status == 303
    post(ctx, support_fields(idempotency_key="plain-page"), addr="198.51.100.7")  # the same IPv4 client
    assert inbox.support_tallies() == {"velo": {"pistes": 3}}


def test_networks() -> None:
    from consult.forms.guard import network

    assert network("2001:db8:1:2:a:b:c:d") == network("2001:0db8:0001:0002::1") == "2001:db8:1:2::/64"
    assert network("::ffff:192.0.2.1") == "192.0.2.1" == network("192.0.2.1")
    assert network("unix-socket") == "unix-socket"


def test_a_voter_fingerprint_belongs_to_one_consultation() -> None:
    guard = Guard(SECRET)
    assert guard.voter("192.0.2.1", "velo") != guard.voter("192.0.2.1", "parcs")
    assert "192.0.2.1" not in guard.voter("192.0.2.1", "velo")


# --- durability: no "received" without a committed row -----------------------------------------


class DownInbox(Inbox):
    url = "postgresql://down"

    def _tx_raw(self) -> Any:
        raise InboxError("connection refused")

    def close(self) -> None:
        pass


def test_inbox_down_is_503_and_keeps_the_text() -> None:
    ctx = make_ctx(DownInbox())
    response = post(ctx, suggestion(body="À garder absolument"))
    assert response.status == 503 and "À garder absolument" in response.body.decode()
    assert "indisponible" in response.body.decode()


def test_a_failing_commit_is_never_a_303(ctx: Context, inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    original = inbox.add

    def add_then_fail(sub: Any, rate: Any = None, **options: Any) -> Any:
        original(sub, rate, **options)
        raise InboxError("commit failed")

    monkeypatch.setattr(inbox, "add", add_then_fail)
    assert post(ctx, suggestion()).status == 503


# --- ALTCHA ------------------------------------------------------------------------------------


def altcha_payload(ctx: Context) -> str:
    """Solve the handler's challenge as the widget does."""
    import altcha

    challenge = json.loads(handle(Request("GET", "/api/altcha", {}, b"", "x", NOW), ctx).body)
    solution = altcha.solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                         challenge["maxNumber"], 0)
    return base64.b64encode(json.dumps({
        "algorithm": challenge["algorithm"], "challenge": challenge["challenge"], "number": solution.number,
        "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()


def test_altcha_solution_accepted_once_and_its_absence_is_a_flag_not_a_loss(inbox: Inbox, disk_dir: Path) -> None:
    ctx = make_ctx(inbox, altcha_on=True, altcha=Altcha(SECRET, max_number=2000))
    payload = altcha_payload(ctx)
    assert [post(ctx, suggestion(altcha=payload, body="un")).status,
            post(ctx, suggestion(altcha=payload, body="deux")).status,  # replayed
            post(ctx, suggestion(body="trois")).status] == [303, 303, 303]  # no solution (JavaScript off)
    assert sorted((r.body, r.flags, r.quarantine) for r in inbox.all()) == [
        ("deux", "altcha", ""), ("trois", "altcha", ""), ("un", "", "")]
    assert len(pull_into(disk_dir, inbox)) == 3


def test_altcha_follows_the_rules_of_the_site(inbox: Inbox) -> None:
    off = make_ctx(inbox, altcha=Altcha(SECRET, max_number=2000))  # forms.altcha not set
    assert handle(Request("GET", "/api/altcha", {}, b"", "x", NOW), off).status == 404
    post(off, suggestion(body="sans altcha"))
    missing = make_ctx(inbox, altcha_on=True, altcha=None)  # set, but the package is not installed
    assert handle(Request("GET", "/api/altcha", {}, b"", "x", NOW), missing).status == 404
    assert post(missing, suggestion(body="flaggé")).status == 303
    assert sorted((r.body, r.flags) for r in inbox.all()) == [("flaggé", "altcha"), ("sans altcha", "")]


def test_an_expired_altcha_challenge_is_a_flag(inbox: Inbox) -> None:
    ctx = make_ctx(inbox, altcha_on=True, altcha=Altcha(SECRET, max_number=2000))
    payload = altcha_payload(ctx)  # challenges last 20 minutes
    assert post(ctx, suggestion(altcha=payload), now=NOW + timedelta(minutes=21)).status == 303
    assert inbox.all()[0].flags == "altcha"


# --- adapters ----------------------------------------------------------------------------------


def wsgi_call(app: Any, method: str, path: str, data: bytes = b"", script: str = "", **environ: Any) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    env = {"REQUEST_METHOD": method, "SCRIPT_NAME": script, "PATH_INFO": path, "CONTENT_TYPE": FORM,
           "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "REMOTE_ADDR": "127.0.0.1",
           "HTTP_HOST": "localhost:8000", "wsgi.url_scheme": "http", **environ}
    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def rules_file(disk_dir: Path) -> Path:
    path = disk_dir / "_site" / "consult-rules.json"
    path.parent.mkdir()
    path.write_text(rules_text(), encoding="utf-8")
    return path


def test_wsgi_app_full_and_stripped_paths(rules_file: Path, inbox_url: str, disk_dir: Path) -> None:
    from consult.forms.wsgi import make_app

    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=lambda: NOW)
    data = urlencode(suggestion()).encode()
    assert wsgi_call(app, "POST", "/api/submit", data)[0] == "303 See Other"
    assert wsgi_call(app, "POST", "/submit", data, script="/api")[0] == "303 See Other"
    assert wsgi_call(app, "POST", "/submit", urlencode(suggestion(body="b")).encode())[0] == "303 See Other"
    assert len(app.ctx.inbox.all()) == 2
    assert wsgi_call(app, "POST", "/api/submit", b"x", CONTENT_LENGTH="")[0].startswith("411")
    huge = wsgi_call(app, "POST", "/api/submit", b"x" * (MAX_BODY_BYTES + 100), CONTENT_LENGTH=str(10**9))
    assert huge[0].startswith("413")
    status, headers, body = wsgi_call(app, "HEAD", "/api/token")
    assert status.startswith("200") and body == b""
    app.ctx.inbox.close()


def test_wsgi_reloads_rules_after_a_rebuild(rules_file: Path, disk_dir: Path) -> None:
    from consult.forms.wsgi import make_app

    app = make_app(rules_file, f"sqlite:///{disk_dir / 'i.sqlite3'}", SECRET, root=disk_dir, clock=lambda: NOW)
    data = urlencode(suggestion(consultation="ancienne", q_frequence=None)).encode()
    assert wsgi_call(app, "POST", "/api/submit", data)[0].startswith("403")
    changed = json.loads(rules_text())
    changed["consultations"][1]["closes"] = "2027-12-31T00:00:00+01:00"
    rules_file.write_text(json.dumps(changed) + "\n", encoding="utf-8")
    assert wsgi_call(app, "POST", "/api/submit", data)[0].startswith("303")


def test_rules_being_replaced_keep_the_handler_serving(rules_file: Path, inbox_url: str, disk_dir: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Missing, half-written, empty, not JSON, another format: the last good rules answer; one
    warning per bad version, naming the file, nothing of the citizen; a good file is picked up."""
    import logging

    from consult.forms.wsgi import make_app

    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=lambda: NOW)
    good = rules_file.read_text(encoding="utf-8")
    assert wsgi_call(app, "POST", "/api/submit", urlencode(suggestion(body="avant")).encode())[0].startswith("303")
    breakages = {"half": lambda: rules_file.write_text(good[:len(good) // 2], encoding="utf-8"),
                 "empty": lambda: rules_file.write_bytes(b""),
                 "missing": rules_file.unlink,
                 "not utf-8": lambda: rules_file.write_bytes(b"\xff" * 10),
                 "other format": lambda: rules_file.write_text(good.replace('"format": 1', '"format": 9'), encoding="utf-8")}
    caplog.set_level(logging.WARNING, logger="consult.forms")
    for name, breakage in breakages.items():
        breakage()
        for attempt in range(2):
            data = urlencode(suggestion(body=f"{name} {attempt}", email="ana@example.org")).encode()
            assert wsgi_call(app, "POST", "/api/submit", data, REMOTE_ADDR="203.0.113.9")[0].startswith("303"), name
    assert len(app.ctx.inbox.all()) == 1 + 2 * len(breakages)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(breakages)  # once per bad version, not once per request
    assert all(str(rules_file) in w and "last good rules" in w for w in warnings)
    assert not any("ana@" in w or "203.0.113" in w or "avant" in w for w in warnings)
    changed = json.loads(good)
    changed["consultations"][1]["closes"] = "2027-12-31T00:00:00+01:00"
    rules_file.write_text(json.dumps(changed), encoding="utf-8")
    data = urlencode(suggestion(consultation="ancienne", q_frequence=None)).encode()
    assert wsgi_call(app, "POST", "/api/submit", data)[0].startswith("303")
    app.ctx.inbox.close()


def test_without_any_good_rules_the_handler_says_to_build(disk_dir: Path) -> None:
    from consult.errors import ConsultError
    from consult.forms.wsgi import RulesFile

    with pytest.raises(ConsultError, match="consult build"):
        RulesFile(disk_dir / "missing.json")()


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """`app` on the threaded wsgiref server `consult handler` runs: its port, until the block ends."""
    from wsgiref.simple_server import make_server

    from consult.forms.wsgi import ThreadingWSGIServer, _QuietHandler

    server = make_server("127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def test_rules_rewritten_in_place_while_citizens_post(rules_file: Path, inbox_url: str, disk_dir: Path) -> None:
    """A deploy writing the rules in place (not atomically), again and again, while requests come
    through a real server: every submission is stored and answered 303."""
    import http.client
    import time

    from consult.forms.wsgi import make_app

    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=lambda: NOW)
    good = rules_file.read_bytes()
    stop = threading.Event()

    def deploy() -> None:
        while not stop.is_set():
            with open(rules_file, "wb") as handle:
                handle.write(good[:len(good) // 3])
                handle.flush()
                time.sleep(0.002)
                handle.write(good[len(good) // 3:])

    writer = threading.Thread(target=deploy)
    writer.start()
    statuses: list[int] = []

    def send(port: int, n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/submit", urlencode(suggestion(body=f"Texte {n}")).encode(), {"Content-Type": FORM})
        statuses.append(conn.getresponse().status)
        conn.close()

    with serving(app) as port:
        try:
            senders = [threading.Thread(target=send, args=(port, n)) for n in range(40)]
            for t in senders:
                t.start()
                time.sleep(0.001)
            for t in senders:
                t.join()
        finally:
            stop.set()
            writer.join()
    assert statuses == [303] * 40
    assert len(app.ctx.inbox.all()) == 40
    app.ctx.inbox.close()


def raw_exchange(port: int, head: bytes, body: bytes) -> tuple[int, bytes]:
    """Send a whole request as a simple client does (all of it, then read), the answer's status and body."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(1 << 16):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer.partition(b"\r\n\r\n")[2]


def chunked(data: bytes, size: int = 50_000) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                    for i in range(0, len(data), size)) + b"0\r\n\r\n"


@pytest.fixture(params=["handler", "serve"])
def server_app(request: pytest.FixtureRequest, rules_file: Path, disk_dir: Path) -> Iterator[tuple[Any, int]]:
    """The form handler under `consult handler`'s server, or under `consult serve` (static site + /api/)."""
    from wsgiref.simple_server import make_server

    from consult import serve
    from consult.forms.wsgi import ThreadingWSGIServer, _QuietHandler, make_app

    app = make_app(rules_file, f"sqlite:///{disk_dir / 'i.sqlite3'}", SECRET, root=disk_dir, clock=lambda: NOW)
    if request.param == "handler":
        server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, _QuietHandler)
    else:
        site = serve.dispatch(serve.static_app(rules_file.parent), app)
        server = make_server("127.0.0.1", 0, site, serve.ThreadingWSGIServer, serve.QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, server.server_port
    server.shutdown()
    server.server_close()
    app.ctx.inbox.close()


POST_HEAD = b"POST /api/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"


def test_a_body_over_the_cap_is_a_413_with_the_text_kept_never_a_500(server_app: tuple[Any, int]) -> None:
    """Under the built-in servers, however the client sends it: Content-Length over the cap (and
    the bytes behind it), chunked over the cap; the answer arrives whole, with the start of the text."""
    app, port = server_app
    huge = urlencode(suggestion(body="Début de mon texte MORE")).encode().replace(b"MORE", b"x" * 16_000_000)
    for head, body in [(POST_HEAD + b"Content-Length: %d\r\n\r\n" % len(huge), huge),
                       (POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", chunked(huge, 1 << 20))]:
        status, page = raw_exchange(port, head, body)
        assert status == 413, page[:300]
        assert "trop volumineux" in page.decode() and "Début de mon texte xxx" in page.decode()
    assert app.ctx.inbox.all() == []


def test_chunked_bodies_and_bytes_past_the_length_are_read_right(server_app: tuple[Any, int]) -> None:
    app, port = server_app
    form = urlencode(suggestion(body="En morceaux")).encode()
    assert raw_exchange(port, POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", chunked(form, 100))[0] == 303
    form = urlencode(suggestion(body="Avec du surplus")).encode()
    status, _ = raw_exchange(port, POST_HEAD + b"Content-Length: %d\r\n\r\n" % len(form), form + b"z" * 16_000_000)
    assert status == 303
    assert sorted(row.body for row in app.ctx.inbox.all()) == ["Avec du surplus", "En morceaux"]
    for head, body in [(POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"zz\r\nab\r\n0\r\n\r\n"),
                       (POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"5\r\nabcdeXX0\r\n\r\n"),
                       (POST_HEAD + "Content-Length: ²\r\n\r\n".encode(), form)]:
        assert raw_exchange(port, head, body)[0] in (400, 411)
    assert len(app.ctx.inbox.all()) == 2


def test_a_client_that_stops_sending_gets_a_408_and_leaves_no_address_in_the_logs(
        rules_file: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    import socket

    from consult.forms.wsgi import _QuietHandler, make_app

    monkeypatch.setattr(_QuietHandler, "timeout", 0.3)
    app = make_app(rules_file, f"sqlite:///{disk_dir / 'i.sqlite3'}", SECRET, root=disk_dir, clock=lambda: NOW)
    with serving(app) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(POST_HEAD + b"Content-Length: 1000\r\n\r\nbody=Le%20d")
            assert sock.recv(100).startswith(b"HTTP/1.0 408 ")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:  # says nothing at all
            assert idle.recv(100) == b""
    err = capfd.readouterr().err
    assert "127.0.0.1" not in err and "Traceback" not in err
    app.ctx.inbox.close()


def support_body(n: int) -> bytes:
    """A support as its page posts it: each page view has its own token and key."""
    return urlencode(support_fields(idempotency_key=f"view-{n:04d}-key")).encode()


@pytest.mark.parametrize("trust,headers,counted", [
    # No proxy named: no header is believed, whatever a client writes.
    ("", {"HTTP_X_NF_CLIENT_CONNECTION_IP": "203.0.113.{n}", "HTTP_X_FORWARDED_FOR": "198.51.100.{n}"}, 1),
    # Behind Netlify: its header names the client; a forged X-Forwarded-For changes nothing.
    ("netlify", {"HTTP_X_NF_CLIENT_CONNECTION_IP": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.{n}"}, 1),
    ("netlify", {"HTTP_X_NF_CLIENT_CONNECTION_IP": "203.0.113.{n}"}, 5),  # five real clients
    # Behind one proxy of our own, which appends the client: what the client wrote before is ignored.
    ("x-forwarded-for:1", {"HTTP_X_FORWARDED_FOR": "198.51.100.{n}, 203.0.113.9"}, 1),
    ("x-forwarded-for:1", {"HTTP_X_NF_CLIENT_CONNECTION_IP": "198.51.100.{n}", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 1),
    # Behind two proxies: the client's address is the second from the right.
    ("x-forwarded-for:2", {"HTTP_X_FORWARDED_FOR": "198.51.100.{n}, 203.0.113.9, 10.0.0.2"}, 1),
    ("x-forwarded-for:2", {"HTTP_X_FORWARDED_FOR": "203.0.113.{n}, 10.0.0.2"}, 5),
    # A value that is no address is no identity: the connection's address counts.
    ("netlify", {"HTTP_X_NF_CLIENT_CONNECTION_IP": "voter-{n}"}, 1),
])
def test_forged_headers_never_make_new_voters_through_the_wsgi_stack(rules_file: Path, disk_dir: Path, trust: str,
                                                                     headers: dict[str, str], counted: int) -> None:
    from consult.forms.wsgi import make_app

    app = make_app(rules_file, f"sqlite:///{disk_dir / 'proxy.sqlite3'}", SECRET, root=disk_dir,
                   trust_proxy=trust, clock=lambda: NOW)
    for n in range(1, 6):
        environ = {name: value.format(n=n) for name, value in headers.items()}
        status = wsgi_call(app, "POST", "/api/submit", support_body(n), REMOTE_ADDR="10.0.0.1",
                           HTTP_USER_AGENT=f"Browser/{n}", **environ)[0]
        assert status.startswith("303")
    assert app.ctx.inbox.support_tallies() == {"velo": {"pistes": counted}}
    app.ctx.inbox.close()


def test_forged_headers_do_not_escape_the_rate_limit(rules_file: Path, disk_dir: Path) -> None:
    from consult.forms.wsgi import make_app

    app = make_app(rules_file, f"sqlite:///{disk_dir / 'rate.sqlite3'}", SECRET, root=disk_dir,
                   trust_proxy="netlify", clock=lambda: NOW, rate_soft=2, rate_hard=3)
    statuses = [wsgi_call(app, "POST", "/api/submit", urlencode(suggestion(body=f"n{n}")).encode(),
                          REMOTE_ADDR="10.0.0.1", HTTP_X_NF_CLIENT_CONNECTION_IP="203.0.113.9",
                          HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")[0][:3] for n in range(5)]
    assert statuses == ["303", "303", "303", "429", "429"]
    app.ctx.inbox.close()


@pytest.mark.parametrize("spec", ["1", "true", "x-forwarded-for", "x-forwarded-for:0", "cloudflare"])
def test_an_unknown_proxy_setting_is_refused_with_the_choices(rules_file: Path, disk_dir: Path, spec: str) -> None:
    from consult.errors import ConsultError
    from consult.forms.wsgi import make_app

    with pytest.raises(ConsultError, match="use 'netlify'.*'x-forwarded-for:N'"):
        make_app(rules_file, f"sqlite:///{disk_dir / 'i.sqlite3'}", SECRET, root=disk_dir, trust_proxy=spec)


def test_no_handler_answer_may_be_framed_in_any_adapter(rules_file: Path, inbox_url: str, disk_dir: Path) -> None:
    from consult.forms.lambda_ import handle_event
    from consult.forms.wsgi import make_app

    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=lambda: NOW)
    requests = {
        "303": ("POST", "/api/submit", urlencode(suggestion()).encode()),
        "422": ("POST", "/api/submit", urlencode(suggestion(body="", title="")).encode()),
        "422 support": ("POST", "/api/submit", urlencode(support_fields(token="")).encode()),
        "403": ("POST", "/api/submit", urlencode(suggestion(consultation="ancienne", q_frequence=None)).encode()),
        "400": ("POST", "/api/submit", urlencode(suggestion(consultation="inconnue")).encode()),
        "404": ("GET", "/api/nulle-part", b""),
        "405": ("GET", "/api/submit", b""),
        "200": ("GET", "/api/token", b""),
    }
    for expected, (method, path, data) in requests.items():
        status, headers, _ = wsgi_call(app, method, path, data)
        assert status.startswith(expected[:3]), (expected, status)
        assert headers["X-Frame-Options"] == "DENY", expected
        assert headers["Content-Security-Policy"] == "frame-ancestors 'none'", expected
    event = {"rawPath": "/api/submit", "headers": {"content-type": FORM, "host": "x.lambda-url.aws"},
             "requestContext": {"http": {"method": "POST", "sourceIp": "203.0.113.1"}},
             "body": urlencode(suggestion(body="", title="")), "isBase64Encoded": False}
    result = handle_event(event, app.ctx, now=NOW)
    assert result["statusCode"] == 422 and result["headers"]["X-Frame-Options"] == "DENY"
    assert result["headers"]["Content-Security-Policy"] == "frame-ancestors 'none'"
    app.ctx.inbox.close()


def test_lambda_believes_only_the_named_proxy(inbox: Inbox) -> None:
    from consult.forms.lambda_ import request_from_event
    from consult.forms.proxy import parse_trust

    event = {"headers": {"X-Nf-Client-Connection-Ip": "203.0.113.7", "X-Forwarded-For": "198.51.100.1"},
             "requestContext": {"http": {"method": "GET", "sourceIp": "10.0.0.9"}}}
    assert request_from_event(event, NOW).remote_addr == "10.0.0.9"  # type: ignore[union-attr]
    assert request_from_event(event, NOW, parse_trust("netlify")).remote_addr == "203.0.113.7"  # type: ignore[union-attr]


def test_lambda_function_url_event(inbox: Inbox) -> None:
    from consult.forms.lambda_ import handle_event

    ctx = make_ctx(inbox)
    body = base64.b64encode(urlencode(suggestion()).encode()).decode()
    event = {"version": "2.0", "rawPath": "/api/submit", "headers": {"Content-Type": FORM, "Host": "x.lambda-url.aws"},
             "requestContext": {"http": {"method": "POST", "sourceIp": "203.0.113.1"}},
             "body": body, "isBase64Encoded": True}
    result = handle_event(event, ctx, now=NOW)
    assert result["statusCode"] == 303 and result["headers"]["Location"] == "/thanks/?back=/consultations/velo/"
    token = handle_event({"rawPath": "/api/token", "requestContext": {"http": {"method": "GET"}}}, ctx, now=NOW)
    assert "token" in json.loads(token["body"])
    assert len(inbox.all()) == 1


@pytest.mark.postgres
def test_lambda_cold_start_with_the_inbox_down_answers_503_with_the_text_then_recovers(
        pg_url: str, rules_file: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from consult.forms import lambda_

    wide = json.loads(rules_file.read_text(encoding="utf-8"))
    wide["consultations"][0]["closes"] = "2999-01-01T00:00:00+00:00"  # the handler runs on the real clock
    rules_file.write_text(json.dumps(wide), encoding="utf-8")
    monkeypatch.setattr(lambda_, "_CONTEXT", None)
    for name, value in {"CONSULT_RULES": str(rules_file), "CONSULT_SECRET": "s" * 40, "CONSULT_ROOT": str(disk_dir),
                        "CONSULT_INBOX": "postgresql://consult:mot-de-passe@127.0.0.1:1/consult"}.items():
        monkeypatch.setenv(name, value)

    def event(body: str) -> dict[str, Any]:
        return {"version": "2.0", "rawPath": "/api/submit", "headers": {"content-type": FORM, "host": "x.example"},
                "requestContext": {"http": {"method": "POST", "sourceIp": "203.0.113.1"}},
                "body": urlencode(suggestion(body=body)), "isBase64Encoded": False}

    result = lambda_.handler(event("Mon texte à garder"))
    assert result["statusCode"] == 503
    assert "Mon texte à garder" in html.unescape(result["body"]) and "indisponible" in result["body"]
    assert lambda_._CONTEXT is None  # the next event tries the inbox again
    assert any("inbox unavailable" in r.getMessage() for r in caplog.records)
    assert not any("mot-de-passe" in r.getMessage() for r in caplog.records)
    monkeypatch.setenv("CONSULT_INBOX", pg_url)  # the database is back
    assert lambda_.handler(event("Enfin enregistré"))["statusCode"] == 303
    assert lambda_._CONTEXT is not None
    assert [row.body for row in lambda_._CONTEXT.inbox.all()] == ["Enfin enregistré"]
    lambda_._CONTEXT.inbox.close()


def test_parallel_identical_posts_through_a_real_server_make_one_row(rules_file: Path, inbox_url: str,
                                                                     disk_dir: Path) -> None:
    import http.client
    from wsgiref.simple_server import make_server

    from consult.forms.wsgi import ThreadingWSGIServer, _QuietHandler, make_app

    app = make_app(rules_file, inbox_url, SECRET, root=disk_dir, clock=lambda: NOW)
    server = make_server("127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    data = urlencode(suggestion(idempotency_key="same-key-123456")).encode()
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def send() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        barrier.wait()
        conn.request("POST", "/api/submit", data, {"Content-Type": FORM})
        statuses.append(conn.getresponse().status)
        conn.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.shutdown()
    server.server_close()
    assert statuses == [303] * 10
    assert len(app.ctx.inbox.all()) == 1
    app.ctx.inbox.close()


def test_serve_makes_its_own_secret_private_and_stable(disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULT_SECRET", raising=False)
    first = load_secret(disk_dir)
    assert load_secret(disk_dir) == first and len(first.current) == 64 and first.previous == b""
    assert (disk_dir / ".consult" / "secret").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("CONSULT_SECRET", "x" * 40)
    assert load_secret(disk_dir) == Secrets(b"x" * 40)


@pytest.mark.parametrize("environ,message", [
    ({}, "CONSULT_SECRET is not set"),
    ({"CONSULT_SECRET": "x" * 31}, "CONSULT_SECRET is 31 characters long: it must be at least 32"),
    ({"CONSULT_SECRET": "x" * 32, "CONSULT_SECRET_PREVIOUS": "short"}, "CONSULT_SECRET_PREVIOUS is 5 characters"),
])
def test_production_entry_points_refuse_a_missing_or_short_secret(environ: dict[str, str], message: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.errors import ConsultError
    from consult.forms import lambda_
    from consult.forms.wsgi import app_from_env

    with pytest.raises(ConsultError, match=message):
        secrets_from_env(environ)
    for name in ("CONSULT_SECRET", "CONSULT_SECRET_PREVIOUS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(lambda_, "_CONTEXT", None)
    monkeypatch.setenv("CONSULT_RULES", "/nonexistent/consult-rules.json")
    monkeypatch.setenv("CONSULT_INBOX", "postgresql://never-reached")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConsultError, match=message):
        app_from_env()
    with pytest.raises(ConsultError, match=message):
        lambda_.handler({"rawPath": "/api/health", "requestContext": {"http": {"method": "GET"}}})


def test_app_from_env_starts_with_a_secret(rules_file: Path, disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.forms.wsgi import app_from_env

    monkeypatch.setenv("CONSULT_SECRET", "r" * 32)
    monkeypatch.setenv("CONSULT_SECRET_PREVIOUS", "q" * 40)
    monkeypatch.setenv("CONSULT_RULES", str(rules_file))
    monkeypatch.setenv("CONSULT_INBOX", f"sqlite:///{disk_dir / 'env.sqlite3'}")
    app = app_from_env()
    assert (app.ctx.guard.secret, app.ctx.guard.previous) == (b"r" * 32, b"q" * 40)
    assert wsgi_call(app, "GET", "/api/health")[0].startswith("200")
    app.ctx.inbox.close()


def test_rotation_keeps_old_tokens_valid_and_a_voter_counted_once(rules_file: Path, disk_dir: Path) -> None:
    from consult.forms.wsgi import make_app

    old, new = b"o" * 32, b"n" * 32
    url = f"sqlite:///{disk_dir / 'rotation.sqlite3'}"
    support = {"kind": "support", "consultation": "velo", "proposal": "pistes", "website": ""}
    before = make_app(rules_file, url, old, root=disk_dir, clock=lambda: NOW)
    shown = Guard(old).token(NOW - timedelta(minutes=5), "velo", "support")
    assert wsgi_call(before, "POST", "/api/submit", urlencode(dict(support, token=shown)).encode())[0].startswith("303")
    token = Guard(old).token(NOW - timedelta(minutes=5), "velo", "suggestion")
    rotated = make_app(rules_file, url, Secrets(new, old), root=disk_dir, clock=lambda: NOW)
    fields = suggestion(token=token, body="écrit avant la rotation")  # a page shown before the rotation
    assert wsgi_call(rotated, "POST", "/api/submit", urlencode(fields).encode())[0].startswith("303")
    again = dict(support, token=Guard(new).token(NOW - timedelta(minutes=1), "velo", "support"),
                 idempotency_key="after-rotation")
    assert wsgi_call(rotated, "POST", "/api/submit", urlencode(again).encode())[0].startswith("303")
    assert rotated.ctx.inbox.support_tallies() == {"velo": {"pistes": 1}}  # the same voter, counted once
    [written] = [r for r in rotated.ctx.inbox.all() if r.kind == "suggestion"]
    assert written.flags == ""  # the old token verified
    forgotten = make_app(rules_file, url, new, root=disk_dir, clock=lambda: NOW)  # CONSULT_SECRET_PREVIOUS dropped
    fields = suggestion(token=token, body="vieux jeton")
    assert wsgi_call(forgotten, "POST", "/api/submit", urlencode(fields).encode())[0].startswith("303")
    assert [r.flags for r in forgotten.ctx.inbox.all() if r.body == "vieux jeton"] == ["bad-token"]  # flagged, kept
    for app in (before, rotated, forgotten):
        app.ctx.inbox.close()


def test_canonical_ignores_transport_fields() -> None:
    assert canonical({"body": ["a"], "token": ["1"]}) == canonical({"body": ["a"], "token": ["2"], "website": [""]})



@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_sqlite_inbox_is_a_503_that_keeps_the_text(rules_file: Path, disk_dir: Path, damage: str) -> None:
    """The inbox file cut short or overwritten (a full disk, a bad copy): nothing can be stored, so
    the citizen is told so (503, never a 303 "received") and gets the form back with the text."""
    from consult.forms.wsgi import make_app

    path = disk_dir / "inbox.sqlite3"
    app = make_app(rules_file, f"sqlite:///{path}", SECRET, root=disk_dir, clock=lambda: NOW)
    assert wsgi_call(app, "POST", "/api/submit", urlencode(suggestion(body="avant")).encode())[0].startswith("303")
    app.ctx.inbox.close()
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] if damage == "truncated" else b"\x13" * len(data))
    status, _, body = wsgi_call(app, "POST", "/api/submit", urlencode(suggestion(body="Mon texte à garder")).encode())
    assert status.startswith("503") and "Mon texte à garder" in html.unescape(body.decode())
