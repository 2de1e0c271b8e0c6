"""Form fields -> a submission's public parts, checked against one consultation's rules.

Mistakes a citizen can fix become `Invalid` (a list of (field, message), in form
order); values no form of ours can send (an unknown question, a tampered choice)
are `Malformed`. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from consult.forms.intake import TRANSPORT_FIELDS, Fields, Intake, Malformed, comparable
from consult.forms.messages import message
from consult.forms.rules import ConsultationRule, Rules
from consult.kinds import AUTHOR_MAX, BY_NAME, EMAIL_MAX, TITLE_MAX, notify_field
from consult.model import Question

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BLANK_LINES = re.compile(r"^(?:[ \t]*\n)+")
# A scale value: ASCII digits only (str.isdigit() accepts '²', which int() refuses), and few of
# them (int() refuses 5,000 digits; no scale needs ten).
_SCALE_VALUE = re.compile(r"-?[0-9]{1,9}")


class Invalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(text for _, text in errors))
        self.errors = errors


@dataclass(frozen=True)
class Checked:
    kind: str
    proposal: str | None
    title: str = ""
    body: str = ""
    author: str = ""
    email: str = ""
    answers: dict[str, str | list[str]] = field(default_factory=dict)
    category: str = ""  # a citizen proposal's, one of the consultation's category ids; a report's reason code
    notify: tuple[str, ...] = ()  # what the citizen asked to hear about: 'contribution', 'proposal'


def _notify(intake: Intake, kind: str, email: str, errors: list[tuple[str, str]], language: str) -> tuple[str, ...]:
    """The purposes ticked; a box ticked without an address is a mistake to fix."""
    asked = tuple(p for p in BY_NAME[kind].notify if intake.one(notify_field(p)))
    if asked and not email:
        errors.append(("email", message(language, "email.needed")))
    return asked


def offered_questions(consultation: ConsultationRule, kind: str) -> tuple[Question, ...]:
    """The questionnaire is a form of its own (kind 'answers'): an idea never has to answer it."""
    return consultation.questions if BY_NAME[kind].questions else ()


@lru_cache(maxsize=1024)
def offered(choices: tuple[str, ...]) -> tuple[str, ...]:
    """A question's choices as the intake reads them back from a form (`comparable`): the site's
    label, however its file spelled it (decomposed, say), is what the browser sends back."""
    return tuple(comparable(choice) for choice in choices)


def shows_body(consultation: ConsultationRule, kind: str) -> bool:
    """Does the form of this kind have a text (and, for an idea, a title)? Not a questionnaire's."""
    return bool(BY_NAME[kind].body)


def has_title(kind: str) -> bool:
    """An idea has a title: optional for a suggestion, required for a proposal (it names its page)."""
    return bool(BY_NAME[kind].title)


def redisplayable(intake: Intake, consultation: ConsultationRule, kind: str) -> Intake | None:
    """The fields of a refused submission that its form can show again, every text typed among them:
    choices the form does not offer are left out (nobody typed them). None when some typed text
    has no place in the form (an answer to a question it no longer asks): then show it as text."""
    questions = {f"q_{q.id}": q for q in offered_questions(consultation, kind)}
    shown = set(questions) | set(BY_NAME[kind].form_fields(consultation.supports == "verified"))
    fields: Fields = {}
    for name, values in intake.fields.items():
        question = questions.get(name)
        if question is not None and question.type in ("single", "multiple"):
            fields[name] = [v for v in values if v in offered(question.choices)]
        elif name in shown or name in TRANSPORT_FIELDS:
            fields[name] = values
        elif any(v.strip() for v in values):
            return None
    return Intake(fields, intake.is_json)


def single_line(text: str) -> str:
    return " ".join(text.split())


def block(text: str) -> str:
    """A Markdown body: no leading blank lines, no trailing whitespace."""
    return _BLANK_LINES.sub("", text).rstrip()


def check_fields(intake: Intake, consultation: ConsultationRule, kind: str, rules: Rules, language: str) -> Checked:
    errors: list[tuple[str, str]] = []

    def limit(name: str, value: str, most: int) -> None:
        if len(value) > most:
            errors.append((name, message(language, "too_long", max=most, length=len(value))))

    proposal = intake.one("proposal") or None
    rule = BY_NAME[kind]
    if rule.reason:
        return _report(intake, rules, language)
    if not rule.contribution:  # a support: only counted (on a verified consultation, by its address)
        return _support(intake, consultation, kind, proposal, language)
    questions = offered_questions(consultation, kind)
    show_body = shows_body(consultation, kind)
    title = single_line(intake.one("title")) if has_title(kind) else ""
    body = block(intake.one("body")) if show_body else ""
    author, email = single_line(intake.one("author")), intake.one("email").strip()
    category = _category(intake, consultation) if rule.category else ""
    if rule.title == "required" and not title:
        errors.append(("title", message(language, "title.required")))
    limit("title", title, TITLE_MAX)
    if not body and rule.body == "required":
        errors.append(("body", message(language, "body.required")))
    limit("body", body, rules.max_length)
    answers = _answers(intake, questions, errors, language)
    if rule.questions and not answers and questions and not any(n.startswith("q_") for n, _ in errors):
        errors.append((f"q_{questions[0].id}", message(language, "answers.required")))
    limit("author", author, AUTHOR_MAX)
    if email and (len(email) > EMAIL_MAX or not EMAIL.match(email)):
        errors.append(("email", message(language, "email.invalid")))
    notify = _notify(intake, kind, email, errors, language)
    if errors:
        order = ["title", "body", *(f"q_{q.id}" for q in questions), "author", "email"]
        raise Invalid(sorted(errors, key=lambda e: order.index(e[0]) if e[0] in order else len(order)))
    return Checked(kind, proposal if rule.target == "proposal" else None, title, body, author, email, answers, category,
                   notify)


def _support(intake: Intake, consultation: ConsultationRule, kind: str, proposal: str | None, language: str) -> Checked:
    """A support: nothing to check, but on a `supports: verified` consultation, where it asks the
    address its confirmation link goes to (required, and the only field there is to fix)."""
    rule = BY_NAME[kind]
    if not (rule.verifiable and consultation.supports == "verified"):
        return Checked(kind=kind, proposal=proposal)
    email = intake.one("email").strip()
    if not email:
        raise Invalid([("email", message(language, "email.required_verified"))])
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        raise Invalid([("email", message(language, "email.invalid"))])
    notify = tuple(p for p in rule.notify if intake.one(notify_field(p)))
    return Checked(kind=kind, proposal=proposal, email=email, notify=notify)


def _report(intake: Intake, rules: Rules, language: str) -> Checked:
    """A report: its target (checked by the handler against the published ids), a reason of the
    charter, an optional note. Stored as a row whose `proposal` is the target and whose
    `category` is the reason code: the inbox needs no column of its own for it."""
    reason, note = intake.one("reason"), block(intake.one("body"))
    if reason and reason not in {code for code, _ in rules.reasons}:
        raise Malformed("reason: not one of the charter's reasons")
    errors = [] if reason else [("reason", message(language, "reason.required"))]
    if len(note) > rules.max_length:
        errors.append(("body", message(language, "too_long", max=rules.max_length, length=len(note))))
    if errors:
        raise Invalid(errors)
    return Checked("report", intake.one("target"), body=note, category=reason)


def _category(intake: Intake, consultation: ConsultationRule) -> str:
    """The category chosen, '' for none; one the page does not offer is no citizen's doing."""
    chosen = intake.one("category")
    if chosen and chosen not in {id_ for id_, _ in consultation.categories}:
        raise Malformed("category: not one of the consultation's categories")
    return chosen


def _answers(intake: Intake, questions: tuple[Question, ...], errors: list[tuple[str, str]],
             language: str) -> dict[str, str | list[str]]:
    known = {f"q_{q.id}" for q in questions}
    for name in intake.fields:
        if name.startswith("q_") and name not in known:
            raise Malformed(f"unknown question {name[:40]!r}")
    answers: dict[str, str | list[str]] = {}
    for q in questions:
        name = f"q_{q.id}"
        values = [v for v in intake.fields.get(name, []) if v.strip()]
        if not values:
            if q.required:
                errors.append((name, message(language, "question.required", label=q.label)))
            continue
        if q.type == "multiple":
            if len(set(values)) != len(values) or any(v not in offered(q.choices) for v in values):
                raise Malformed(f"{name}: not one of the offered choices")
            answers[q.id] = [c for c in offered(q.choices) if c in values]
            continue
        if len(values) > 1:
            raise Malformed(f"{name} sent twice")
        value = values[0]
        if q.type == "single":
            if value not in offered(q.choices):
                raise Malformed(f"{name}: not one of the offered choices")
        elif q.type == "scale":
            if not _SCALE_VALUE.fullmatch(value.strip()) or not q.scale_min <= int(value) <= q.scale_max:
                errors.append((name, message(language, "question.scale", min=q.scale_min, max=q.scale_max,
                                             label=q.label)))
                continue
            value = str(int(value))
        else:
            value = block(value)
            if len(value) > q.max_length:
                errors.append((name, message(language, "too_long", max=q.max_length, length=len(value))))
                continue
        answers[q.id] = value
    return answers
