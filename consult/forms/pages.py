"""The HTML the handler answers with: the form again (errors, values kept) and notices.

Pages use the site's theme (`render.render_form_page`, and `base.html` for notices)
with the page chrome carried in the rules; if the theme cannot render, a plain
escaped page still shows the citizen everything they typed.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from consult.forms.messages import message
from consult.forms.rules import ConsultationRule, Rules
from consult.model import Config

log = logging.getLogger("consult.forms")

NOTICE = """{% extends "base.html" %}
{% block page_title %}{{ notice_title }}{% endblock %}
{% block meta %}<meta name="robots" content="noindex">{% endblock %}
{% block main %}
<h1>{{ notice_title }}</h1>
{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}
{% if kept %}<p>{{ keep_intro }}</p>
{% for label, text in kept %}<div class="field">
<label class="field-label" for="kept-{{ loop.index }}">{{ label }}</label>
<textarea class="textarea" id="kept-{{ loop.index }}" rows="8" readonly>
{{ text }}</textarea>
</div>
{% endfor %}{% endif %}
{% if back_url %}<p><a href="{{ back_url }}">{{ back_label }}</a></p>{% endif %}
{% endblock %}
"""


class Pages:
    def __init__(self, rules: Rules, root: Path | None = None):
        self.rules = rules
        self.root = root or Path.cwd()
        self._env: Any = None
        self._env_failed = False

    def _environment(self) -> Any:
        if self._env is None and not self._env_failed:
            chrome = self.rules.chrome
            try:
                from consult.theme import make_environment

                self._env = make_environment(self.root, chrome.get("theme", Config.theme),
                                             chrome.get("language", self.rules.language),
                                             chrome.get("timezone", Config.timezone))
            except Exception:  # the theme is broken: plain pages still keep the citizen's text
                log.exception("cannot load the theme; answering with plain pages")
                self._env_failed = True
        return self._env

    def form(self, form: Any) -> str:
        env = self._environment()
        if env is not None and self.rules.chrome:
            try:
                from consult.formview import render_form_page

                return render_form_page(env, self.rules.chrome, form)
            except Exception:
                log.exception("the theme cannot render the form page; answering with a plain one")
        return _plain_form(form, self.rules.language)

    def notice(self, title: str, paragraphs: list[str], kept: list[tuple[str, str]] = (),  # type: ignore[assignment]
               keep_intro: str = "", back_url: str = "", back_label: str = "") -> str:
        context = dict(notice_title=title, paragraphs=paragraphs, kept=list(kept), keep_intro=keep_intro,
                       back_url=back_url, back_label=back_label)
        env = self._environment()
        if env is not None and self.rules.chrome:
            try:
                return str(env.from_string(NOTICE).render(chrome=self.rules.chrome, url="", **context))
            except Exception:
                log.exception("the theme cannot render a notice; answering with a plain one")
        return _plain_notice(self.rules.language, title, paragraphs, list(kept), keep_intro, back_url, back_label)


def kept_text(fields: dict[str, list[str]], language: str,
              consultation: ConsultationRule | None = None) -> list[tuple[str, str]]:
    """(label, text) of everything a person typed in refused fields, in the order sent: the title,
    the text and the answers (labelled with their question when the consultation is known)."""
    labels = {"title": message(language, "kept.title"), "body": message(language, "kept.body")}
    questions = {f"q_{q.id}": q.label for q in consultation.questions} if consultation else {}
    kept = []
    for name, values in fields.items():
        label = labels.get(name) or questions.get(name)
        if label is None and name.startswith("q_"):
            label = message(language, "kept.answer", id=name[2:])
        text = "\n".join(v for v in values if v.strip())
        if label and text:
            kept.append((label, text))
    return kept


def _page(language: str, title: str, main: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="robots" content="noindex">\n<title>{html.escape(title)}</title>\n</head>\n'
            f'<body>\n<main id="main">\n{main}</main>\n</body>\n</html>\n')


def _plain_notice(language: str, notice_title: str, paragraphs: list[str], kept: list[tuple[str, str]],
                  keep_intro: str, back_url: str, back_label: str) -> str:
    e = html.escape
    parts = [f"<h1>{e(notice_title)}</h1>\n"] + [f"<p>{e(p)}</p>\n" for p in paragraphs]
    if kept:
        parts.append(f"<p>{e(keep_intro)}</p>\n")
        for index, (label, text) in enumerate(kept, start=1):
            parts.append(f'<label for="kept-{index}">{e(label)}</label>\n'
                         f'<textarea id="kept-{index}" rows="8" readonly>\n{e(text)}</textarea>\n')
    if back_url:
        parts.append(f'<p><a href="{e(back_url)}">{e(back_label)}</a></p>\n')
    return _page(language, notice_title, "".join(parts))


def _plain_form(form: Any, language: str) -> str:
    """The form with its errors and every value, escaped, without the theme."""
    e = html.escape
    parts = [f"<h1>{e(form.proposal_title or form.consultation_title)}</h1>\n"]
    if form.errors:
        parts.append('<div role="alert"><ul>\n')
        parts += [f'<li><a href="#{e(form.field_id(name))}">{e(text)}</a></li>\n' for name, text in form.errors]
        parts.append("</ul></div>\n")
    parts.append(f'<form method="post" action="{e(form.action)}">\n')
    for name in ("kind", "consultation", "proposal", "token", "idempotency_key"):
        value = {"kind": form.kind, "consultation": form.consultation_slug,
                 "proposal": form.proposal_slug or ""}.get(name, form.value(name))
        if value:
            parts.append(f'<input type="hidden" name="{name}" value="{e(value)}">\n')
    for name in ("title", "author", "email") if form.kind in ("suggestion", "proposal") else ("author", "email"):
        parts.append(f'<p><label for="{e(form.field_id(name))}">{name}</label>\n'
                     f'<input id="{e(form.field_id(name))}" name="{name}" value="{e(form.value(name))}"></p>\n')
    if form.show_body:
        parts.append(f'<p><label for="{e(form.field_id("body"))}">body</label>\n'
                     f'<textarea id="{e(form.field_id("body"))}" name="body" rows="10">\n{e(form.value("body"))}</textarea></p>\n')
    if form.value("category"):
        parts.append(f'<input type="hidden" name="category" value="{e(form.value("category"))}">\n')
    for question in form.questions:
        name = f"q_{question.id}"
        for value in form.selected(name):
            parts.append(f'<p><label>{e(question.label)} <input name="{e(name)}" value="{e(value)}"></label></p>\n')
    parts.append('<p><button type="submit">OK</button></p>\n</form>\n')
    return _page(language, form.consultation_title, "".join(parts))
