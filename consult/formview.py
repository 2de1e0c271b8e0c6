"""A form as the theme's templates show it, built by the renderer and by the form handler alike.

`FormView` carries everything a form needs with no reference to content/: the build
makes one from the model, the handler (`consult.forms.view`) from its rules and what
the citizen typed, and `render_form_page` shows one on a page of its own. Neither
side imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypedDict

from consult.document import clean
from consult.kinds import BY_NAME, TITLE_MAX, TYPED_FIELDS
from consult.model import Config, Question

if TYPE_CHECKING:  # the handler imports this module on every cold start: jinja2 only when it renders
    import jinja2

TITLE_MAX_LENGTH = TITLE_MAX
# Stands for the proposal in FormView.shared_shape: a private-use character, which no slug holds and
# which escaping leaves as it is.
PROPOSAL_PLACEHOLDER = "\ue000proposal\ue000"


@dataclass(frozen=True)
class FieldView:
    """One field of a FormView, as its markup shows it."""

    id: str
    value: str
    selected: tuple[str, ...]
    error: str
    hint: str
    described_by: str  # the ids of its hint and error, for aria-describedby ('' when neither)


@dataclass(frozen=True)
class FormView:
    """Everything a form needs, with no reference to content/: the handler builds one too."""

    action: str
    kind: str  # suggestion (an idea) | proposal (an idea to support) | answers (the questionnaire) | comment | support
    consultation_slug: str
    consultation_title: str
    consultation_url: str
    proposal_slug: str | None = None
    proposal_title: str | None = None
    questions: tuple[Question, ...] = ()
    # Left out of the hash (a dict has none) but not of ==: a FormView can key a memo() (theme.py).
    values: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict, hash=False)
    errors: tuple[tuple[str, str], ...] = ()
    max_length: int = Config.max_length
    proposal_url: str | None = None
    title_max_length: int = TITLE_MAX_LENGTH
    token_url: str = ""  # where the form's script fetches a time token
    privacy_url: str = ""  # the personal data page, linked under the form
    altcha_url: str = ""  # with forms.altcha: where the ALTCHA widget fetches its challenge
    altcha_script: str = ""  # ... and the script that defines the widget
    categories: tuple[tuple[str, str], ...] = ()  # (id, label) a citizen proposal may be filed under
    target: str = ""  # a report's: the id of the published contribution or comment it reports
    reasons: tuple[tuple[str, str], ...] = ()  # a report's: (code, the charter's wording) to choose from
    organisation: str = ""  # the site's organisation, named in the opt-in boxes
    verified: bool = False  # a support form of a `supports: verified` consultation: it asks an e-mail
    # `untargeted` made already, for every form of a kind of one consultation (consult.render): the
    # same value (proposal_forms), one object, so that memo() finds it by identity, not by comparing.
    shared_untargeted: FormView | None = field(default=None, compare=False, hash=False, repr=False)
    # The form of this kind of this consultation with PROPOSAL_PLACEHOLDER for its proposal (and no
    # proposal title or address): one object for all the consultation's proposal pages, from which the
    # `by_proposal` global (consult.theme) copies each page's form, rendered once.
    shared_shape: FormView | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def untargeted(self) -> FormView:
        """This form without what names its target (consultation, proposal, where it posts): what
        the fields after the hidden inputs depend on, the same for every proposal of a site."""
        if self.shared_untargeted is not None:
            return self.shared_untargeted
        return replace(self, action="", consultation_slug="", consultation_title="", consultation_url="",
                       proposal_slug=None, proposal_title=None, proposal_url=None, token_url="")

    def __getstate__(self) -> dict[str, Any]:
        """The fields, without `shared_untargeted` and `shared_shape`: they are derived from them, so a
        page key (a pickle of the page's context, consult.pages) would digest the same form thrice on
        every proposal page."""
        state = dict(self.__dict__)
        state.pop("shared_untargeted", None)
        state.pop("shared_shape", None)
        return state

    def retargeted(self, **changes: Any) -> FormView:
        """dataclasses.replace(self, **changes), without running __init__ again: a site's proposal
        pages make one form of each kind a page (20,000 at 10,000 proposals), each a copy of the first
        one's but for its target. Its fields copied key by key, as model.made fills a new object's
        (without the merged dict made's arguments would need: 2.7 us a form, not 7.9)."""
        fields = self.__dict__
        if not changes.keys() <= fields.keys():
            raise TypeError(f"FormView has no field {sorted(changes.keys() - fields.keys())[0]!r}")
        form = object.__new__(FormView)
        state = form.__dict__
        for name, value in fields.items():
            state[name] = value
        for name, value in changes.items():
            state[name] = value
        return form

    def about(self, target: str) -> FormView:
        """This report form about the published item `target` (a page shows one per item)."""
        return self.retargeted(target=target)

    @property
    def show_body(self) -> bool:
        """An idea and a comment are a text; the questionnaire and a support are not."""
        return self.kind in BY_NAME and bool(BY_NAME[self.kind].body)

    @property
    def notify(self) -> tuple[str, ...]:
        """The purposes of its opt-in boxes (consult.kinds), shown with its e-mail field."""
        return BY_NAME[self.kind].notify if self.kind in BY_NAME else ()

    def field(self, name: str, hint: str = "") -> FieldView:
        """What a field's markup needs, worked out once (a template call is dear)."""
        field_id, error = self.field_id(name), self.error(name)
        described_by = " ".join(([f"{field_id}-hint"] if hint else []) + ([f"{field_id}-error"] if error else []))
        return FieldView(field_id, self.value(name), self.selected(name), error, hint, described_by)

    def value(self, name: str) -> str:
        value = self.values.get(name, "")
        return value if isinstance(value, str) else (value[0] if value else "")

    def selected(self, name: str) -> tuple[str, ...]:
        value = self.values.get(name, ())
        return (value,) if isinstance(value, str) else tuple(value)

    def error(self, name: str) -> str:
        return next((message for field_name, message in self.errors if field_name == name), "")

    def described_by(self, name: str, hint: str = "") -> str:
        """The ids of a field's hint and error, for aria-describedby ('' when neither)."""
        return self.field(name, hint).described_by

    def field_id(self, name: str) -> str:
        """Unique on its page: a page shows one form of each kind, but a report form per item."""
        return f"{self.kind}-{self.target}-{name}" if self.target else f"{self.kind}-{name}"

    def anchor(self, name: str) -> str:
        """The id an error-summary link jumps to: the field, a group's first control, or the form."""
        question = next((q for q in self.questions if f"q_{q.id}" == name), None)
        if question is not None:
            return self.field_id(name) + ("" if question.type == "text" else "-1")
        if name in TYPED_FIELDS:
            return self.field_id(name)
        return self.field_id("form")


class FormLinks(TypedDict):
    organisation: str
    token_url: str
    privacy_url: str
    altcha_url: str
    altcha_script: str


def form_links(chrome: Mapping[str, Any]) -> FormLinks:
    """What a FormView takes from the page chrome (the built site's, or the one in the handler's rules)."""
    return {"organisation": (chrome.get("organisation") or {}).get("name", ""),
            "token_url": chrome.get("token_url", ""), "privacy_url": chrome.get("privacy_url", ""),
            "altcha_url": chrome.get("altcha_url", ""), "altcha_script": chrome.get("altcha_script", "")}


def render_form_page(env: jinja2.Environment, chrome: Mapping[str, Any], form: FormView) -> str:
    """One form on a page of its own, with its error summary: what the handler sends back (what
    the citizen typed, as it came: cleaned of the characters XML forbids here)."""
    return clean(env.get_template("form_page.html").render(chrome=chrome, url="", form=form))
