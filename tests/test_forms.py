"""The form handler through its sans-IO core and its adapters, against real inboxes."""

from __future__ import annotations

import base64
import io
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from consult.forms.core import Context, Request, Response, handle
from consult.forms.guard import Altcha, Guard, canonical
from consult.forms.secret import Secrets, load_secret, secrets_from_env
from consult.forms.intake import MAX_BODY_BYTES, Malformed, normalise, parse_body
from consult.forms.pages import Pages
from consult.forms.rules import parse_rules
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
        "author": "Ana", "email": "ana@example.org", "q_frequence": "Souvent", "website": "",
        "token": Guard(SECRET).token(NOW - timedelta(minutes=2), "velo", "suggestion"), "idempotency_key": "",
    }
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


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
    response = post(ctx, suggestion(q_usages=["Loisirs", "Travail"], q_note="4", body="Ligne 1\r\nLigne 2\r\n\r\n"))
    assert response.status == 303 and response.header("Location") == "/thanks/"
    [row] = inbox.all()
    assert (row.kind, row.consultation, row.title, row.body) == ("suggestion", "velo", "Des arceaux", "Ligne 1\nLigne 2")
    assert row.answers == {"frequence": "Souvent", "usages": ["Travail", "Loisirs"], "note": "4"}
    assert row.email == "ana@example.org" and row.quarantine == "" and row.flags == ""
    assert len(row.id) == 17 and row.id.startswith("20261201-")


def test_answers_only_is_kind_answers(ctx: Context, inbox: Inbox) -> None:
    assert post(ctx, suggestion(title="", body="")).status == 303
    assert inbox.all()[0].kind == "answers"


def test_json_intake(ctx: Context, inbox: Inbox) -> None:
    data = suggestion(q_usages=["Courses"])
    response = post(ctx, json.dumps(data).encode(), ctype="application/json; charset=utf-8")
    assert response.status == 200 and json.loads(response.body) == {"received": True}
    assert inbox.all()[0].answers["usages"] == ["Courses"]


def test_comment_and_support(ctx: Context, inbox: Inbox) -> None:
    assert post(ctx, suggestion(kind="comment", proposal="pistes", q_frequence=None, title=None)).status == 303
    assert post(ctx, support_fields()).status == 303
    rows = {r.kind: r for r in inbox.all()}
    assert rows["comment"].proposal == "pistes" and rows["comment"].answers == {}
    assert rows["support"].voter and rows["support"].body == ""


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
    response = post(ctx, suggestion(body=typed, q_frequence="", email="pas-une-adresse", author="<i>Zoé</i>",
                                    q_usages=["Loisirs"], idempotency_key="key-12345678"))
    html = response.body.decode()
    assert response.status == 422 and inbox.all() == []
    assert "Mon &lt;b&gt;idée&lt;/b&gt; &amp; &#34;guillemets&#34; " + "x" * 600 in html or \
        "Mon &lt;b&gt;idée&lt;/b&gt; &amp; &quot;guillemets&quot; " + "x" * 600 in html
    assert "&lt;i&gt;Zoé&lt;/i&gt;" in html and "pas-une-adresse" in html and "Loisirs" in html
    assert "key-12345678" in html
    assert "500 caractères" in html and "Fréquence ?" in html and "adresse électronique" in html
    assert "<b>idée</b>" not in html and "<i>Zoé" not in html


def test_empty_comment_needs_a_body(ctx: Context) -> None:
    response = post(ctx, {"kind": "comment", "consultation": "velo", "proposal": "pistes", "body": "  \n "})
    assert response.status == 422 and "Écrivez votre texte" in response.body.decode()


def test_scale_out_of_range_and_long_text_answer(ctx: Context) -> None:
    response = post(ctx, suggestion(q_note="9", q_idee="y" * 51))
    assert response.status == 422
    assert "entre 1 et 5" in response.body.decode() and "50 caractères" in response.body.decode()


def test_json_mistakes_are_json(ctx: Context) -> None:
    response = post(ctx, json.dumps(suggestion(body="", title="", q_frequence="")).encode(), ctype="application/json")
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
    "unknown question": urlencode(suggestion(q_zzz="1")).encode(),
    "tampered choice": urlencode(suggestion(q_frequence="Toujours")).encode(),
    "proposal on suggestion": urlencode(suggestion(proposal="pistes")).encode(),
    "unknown proposal": urlencode(suggestion(kind="support", proposal="nope")).encode(),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_are_400_and_store_nothing(ctx: Context, inbox: Inbox, case: str) -> None:
    response = post(ctx, MALFORMED[case])
    assert response.status == 400, response.body[:500]
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


# --- abuse: a flag a moderator sees, never a drop ------------------------------------------


def pull_into(root: Path, inbox: Inbox) -> dict[str, str]:
    """`consult pull` into a bare content/ folder for the rules' consultations: id -> file text."""
    from consult.pull import pull

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
    assert inbox.counts() == {"exported": 1}


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
    assert inbox.purge(NOW + timedelta(days=4000)) is not None and inbox.held_count() == 1  # nobody decided yet
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
    same_answers = urlencode(suggestion(token="", idempotency_key="", title="", body="", author="", email=""),
                             doseq=True).encode()

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
    huge = wsgi_call(app, "POST", "/api/submit", b"", CONTENT_LENGTH=str(10**9))
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
        "422": ("POST", "/api/submit", urlencode(suggestion(body="", title="", q_frequence="")).encode()),
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
             "body": urlencode(suggestion(body="", title="", q_frequence="")), "isBase64Encoded": False}
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
    assert result["statusCode"] == 303 and result["headers"]["Location"] == "/thanks/"
    token = handle_event({"rawPath": "/api/token", "requestContext": {"http": {"method": "GET"}}}, ctx, now=NOW)
    assert "token" in json.loads(token["body"])
    assert len(inbox.all()) == 1


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

