"""model: the content keys the model's objects carry (Keyed), which every build cache keys by, and
what a consultation's derived attributes read of its collections."""

from __future__ import annotations

import pickle
import sys
import shutil
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from consult.config import load_config, parse_now
from consult.content.load import load_site
from consult.model import Consultation, Site

TINY = Path(__file__).parent / "sites" / "tiny"
NOW = "2026-12-01T12:00"
VELO = "content/consultations/velo"
COMMENT = f"{VELO}/contributions/20261108-aaaa0006.md"  # a published comment on rue-haute


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    shutil.copytree(TINY, tmp_path / "site", ignore=shutil.ignore_patterns("expected"))
    return tmp_path / "site"


def read(root: Path) -> Site:
    config, _ = load_config(root)
    assert config is not None
    return load_site(root, config, parse_now(NOW, config))[0]


def every_key(site: Site) -> dict[str, str]:
    """Every key of the site's model objects, by a name that says whose it is."""
    keys = {}
    for c in site.consultations:
        keys[c.slug] = c.key
        keys[f"{c.slug} full"] = c.full_key
        keys.update({f"{c.slug} {name}": c.collection_key(name) for name in c.collections})
        keys.update({f"{c.slug}/{p.slug}": p.key for p in c.proposals})
        keys.update({f"{c.slug}/{p.slug}/{x.id}": x.key for p in c.proposals for x in p.comments})
        keys.update({f"{c.slug}/{x.id}": x.key for x in c.contributions})
    return keys


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_site_read_again_from_disk_has_the_same_keys(root: Path) -> None:
    first, second = read(root), read(root)
    assert first.consultation("velo") is not second.consultation("velo")
    assert every_key(first) == every_key(second)
    own = [key for name, key in every_key(first).items() if " " not in name]  # objects', not collections'
    assert len(set(own)) == len(own)  # no two objects share a key


def test_a_changed_field_changes_the_keys_of_what_holds_it_and_no_other(root: Path) -> None:
    before = every_key(read(root))
    edit(root / COMMENT, "Excellente idée", "Très bonne idée")
    after = every_key(read(root))
    changed = {name for name in before if before[name] != after[name]}
    # The comment, its proposal, the consultation's proposals and its whole; not the consultation's
    # own key (a page showing it without its proposals keeps its key) nor its contributions.
    assert changed == {"velo/rue-haute/20261108-aaaa0006", "velo/rue-haute", "velo proposals", "velo full"}
    edit(root / VELO / "index.md", "title: Le vélo en ville", "title: La ville à vélo")
    changed = {name for name, key in every_key(read(root)).items() if key != after[name]}
    assert changed == {"velo", "velo full"}


def test_a_key_takes_no_part_in_equality_pickling_or_replace(root: Path) -> None:
    velo = read(root).consultation("velo")
    pickled = pickle.dumps(velo)
    key, proposals = velo.key, velo.collection_key("proposals")
    assert pickle.dumps(velo) == pickled  # the digests just computed are not pickled
    again = pickle.loads(pickled)
    assert again == velo and again.key == key and again.collection_key("proposals") == proposals
    renamed = replace(velo, title="Autre titre")
    assert renamed.key != key and renamed.collection_key("proposals") == proposals
    assert replace(renamed, title=velo.title).key == key
    with pytest.raises(ValueError):
        velo.collection_key("categories")


def test_a_proposal_hashes_once_as_its_fields_and_the_hash_is_never_pickled(root: Path) -> None:
    """A proposal keeps its hash (memo() keys cards by proposal): equal proposals, read apart, hash
    alike; one that differs in any field (a comment's included) compares unequal; the hash kept is
    not pickled (a str's hash differs from one process to the next) nor kept by replace()."""
    first, second = read(root).consultation("velo"), read(root).consultation("velo")
    proposal, twin = first.proposals[0], second.proposals[0]
    pickled = pickle.dumps(proposal)
    assert proposal is not twin and proposal == twin and hash(proposal) == hash(twin) == hash(proposal)
    assert pickle.dumps(proposal) == pickled
    assert hash(pickle.loads(pickled)) == hash(proposal)
    retitled = replace(proposal, title="Autre titre")
    assert retitled != proposal and hash(retitled) != hash(proposal)
    assert hash(replace(retitled, title=proposal.title)) == hash(proposal)
    commented = next(p for p in first.proposals if p.comments)
    edited = replace(commented, comments=(replace(commented.comments[0], title="Autre"), *commented.comments[1:]))
    assert edited != commented and len({commented: 1, edited: 2}) == 2


def test_a_value_cached_beside_the_fields_changes_neither_key_nor_pickle(root: Path) -> None:
    """What a cached_property keeps in the instance's __dict__ (a consultation's `listed`, say) is no
    field: computed or not, the key and the pickle are the same."""
    plain, cached = read(root).consultation("velo"), read(root).consultation("velo")
    cached.__dict__["listed_once"] = cached.listed
    assert pickle.dumps(cached) == pickle.dumps(plain)
    assert (cached.key, cached.full_key) == (plain.key, plain.full_key)


def test_a_key_does_not_depend_on_which_objects_share_a_value(root: Path) -> None:
    """Pickle's memo writes one object met twice differently from two equal objects: a key must not
    (a value parsed afresh and the same value from the parse cache share their strings differently)."""
    comment = next(x for p in read(root).consultation("velo").proposals for x in p.comments)
    name = "Camille Dupont"
    shared = replace(comment, author=name, title=name)
    apart = replace(comment, author=name, title="".join(["Camille ", "Dupont"]))
    assert shared.title is shared.author and apart.title is not apart.author
    assert shared == apart and shared.key == apart.key



class _Watched(tuple[object, ...]):
    """A collection that notes whether anything read it."""

    reads: set[str] = set()
    name = ""

    def __new__(cls, items: tuple[object, ...], name: str) -> _Watched:
        made = super().__new__(cls, items)
        made.name = name
        return made

    def __iter__(self) -> Iterator[object]:
        _Watched.reads.add(self.name)
        return super().__iter__()

    def __len__(self) -> int:
        _Watched.reads.add(self.name)
        return super().__len__()


def test_derived_names_the_collection_each_derived_attribute_reads(root: Path) -> None:
    """consult.pages traces a read of `listed` as a read of the proposals: Consultation.derived must
    name every attribute that reads a collection, and the one it reads."""
    velo = read(root).consultation("velo")
    collections: dict[str, Any] = {name: _Watched(getattr(velo, name), name) for name in velo.collections}
    watched = replace(velo, **collections)
    keyed = {"key", "full_key", "collection_key", "collections", "derived", "parts"}
    names = [name for name in dir(Consultation) if not name.startswith("_") and name not in keyed
             and name not in {f.name for f in fields(Consultation)}]
    assert {"listed", "find_proposal", "is_open"} <= set(names)
    for name in names:
        _Watched.reads = set()
        value = getattr(watched, name)
        if callable(value):
            value("rue-haute")
        assert _Watched.reads == ({Consultation.derived[name]} if name in Consultation.derived else set()), name


def test_the_words_contributions_repeat_are_one_string_each(root: Path) -> None:
    """What a million contributions repeat (kind, status, a proposal's slug, a public name, a choice) is one
    string in memory, not one per file; their own text (the body) stays theirs."""
    site = read(root)
    velo = site.consultation("velo")
    comments = [x for p in velo.proposals for x in p.comments]
    every = list(velo.contributions) + comments
    assert len({id(x.kind) for x in velo.contributions}) == len({x.kind for x in velo.contributions})
    assert len({id(x.status) for x in every}) == 1
    assert len({id(x.proposal) for x in comments}) == len({x.proposal for x in comments})
    choices = [v for x in every for a in x.answers if a.question.type != "text"
               for v in (a.value if isinstance(a.value, tuple) else (a.value,))]
    assert len({id(v) for v in choices}) == len(set(choices)) < len(choices)


def test_a_contribution_is_small_and_keyed_like_the_rest(root: Path) -> None:
    """A contribution keeps its fields in slots (no __dict__: a million of them), its digest beside them,
    and derives its file's path; its key, equality and pickling behave as every Keyed object's."""
    site = read(root)
    comment = next(x for p in site.consultation("velo").proposals for x in p.comments if x.source == COMMENT)
    assert not hasattr(comment, "__dict__")
    key = comment.key
    again = pickle.loads(pickle.dumps(comment))
    assert again == comment and again.key == key and replace(comment, title="Autre").key != key
    assert comment.source == COMMENT and (root / comment.source).is_file()


def test_the_bodies_of_a_consultation_share_one_utf8_buffer_and_stay_values(root: Path) -> None:
    """Each contribution's body (published suggestions and comments) is a model.Text: its HTML as UTF-8
    in one buffer per consultation (read without being written by a forked render worker); str() gives
    the HTML, and its equality, hash, key and pickle are its value's, whichever buffer holds it."""
    from consult.model import Text, pack_texts

    site = read(root)
    velo = site.consultation("velo")
    every = list(velo.contributions) + [x for p in velo.proposals for x in p.comments]
    assert len(every) > 2 and all(isinstance(x.body_html, Text) for x in every)
    assert len({id(x.body_html._data) for x in every}) == 1  # one buffer
    first = next(x for x in every if x.body_html)
    html = str(first.body_html)
    assert html.startswith("<p>") and Text(html) == first.body_html and hash(Text(html)) == hash(first.body_html)
    alone = replace(first, body_html=Text(html))
    assert alone == first and alone.key == first.key and pickle.dumps(alone) == pickle.dumps(first)
    assert replace(first, body_html=Text(html + "<p>+</p>")).key != first.key
    texts = [Text("<p>l’été</p>"), Text(""), Text("<p>œuvre</p>")]
    pack_texts(texts)
    assert [str(t) for t in texts] == ["<p>l’été</p>", "", "<p>œuvre</p>"] and [bool(t) for t in texts] == [True, False, True]
    assert texts[0]._data is texts[2]._data and len(texts[0]._data) == len("<p>l’été</p><p>œuvre</p>".encode())
    shared = pickle.loads(pickle.dumps(texts))
    assert shared == texts and len({id(t._data) for t in shared}) == 3  # plain pickle: each its own bytes
    pickler_table = {Text: Text.reduce_shared}
    import copyreg
    import io
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = {**copyreg.dispatch_table, **pickler_table}
    pickler.dump(texts)
    again = pickle.loads(buffer.getvalue())
    assert again == texts and again[0]._data is again[2]._data  # sent with the buffer they share


def test_link_site_may_consume_its_records_and_links_the_same_site(root: Path) -> None:
    """link_site(consume=True), a one-shot build's: the records list is emptied, and each consultation's
    records are let go once it is linked (no reference kept to them), the site the same."""
    import sys

    from consult.content.load import find_sources, link_site, parse_sources

    config, _ = load_config(root)
    assert config is not None
    sources, _ = find_sources(root)
    pairs = [(source, record) for source, (record, _) in zip(sources, parse_sources(sources, config))]
    moment = parse_now(NOW, config)
    kept = list(pairs)
    before = [sys.getrefcount(record) for source, record in kept if source.kind == "contribution" and record is not None]
    site, problems = link_site(pairs, config, moment, consume=True)
    assert pairs == [] and (site, problems) == link_site(list(kept), config, moment)
    del pairs
    assert [sys.getrefcount(record) for source, record in kept if source.kind == "contribution" and record is not None] == before


def test_made_is_the_dataclass_made_by_its_init() -> None:
    """`made` (linking's Proposals) fills the __dict__ as the frozen dataclass's __init__ does, field by
    field in order, and refuses fields missing or out of order rather than leave them unset."""
    from datetime import date

    from consult.model import Category, Proposal, ProposalStatus, StatusChange, made

    values = {f.name: f"v-{f.name}" for f in fields(Proposal)}
    values.update(category=Category("c", "C"), status=ProposalStatus("recue", "Reçue"), supports=3,
                  history=(StatusChange(date(2026, 1, 2), "recue"),), comments=(), unpublished_comments=0,
                  response_date=None, submitted=None, embargoed=(), merged_from=(), status_line=4)
    built, fast = Proposal(**values), made(Proposal, **values)
    assert fast == built and vars(fast) == vars(built) and list(vars(fast)) == list(vars(built))
    assert fast.key == built.key and hash(fast) == hash(built) and pickle.dumps(fast) == pickle.dumps(built)
    with pytest.raises(TypeError):
        made(Proposal, **{k: v for k, v in values.items() if k != "status_line"})
    with pytest.raises(TypeError):
        made(Proposal, **dict(reversed(values.items())))
    from consult.content.files import ProposalRecord

    record = {f.name: f"r-{f.name}" for f in fields(ProposalRecord)}
    assert made(ProposalRecord, **record) == ProposalRecord(**record)
    assert list(vars(made(ProposalRecord, **record))) == list(vars(ProposalRecord(**record)))
    # Nor bigger: an object made so shares its class's key table as one made by __init__ does (a dict
    # of its own was +16-21 MiB of peak memory at 10,000 proposals).
    assert sys.getsizeof(vars(made(Proposal, **values))) <= sys.getsizeof(vars(built)) + 64


def test_a_content_problem_is_said_in_french_too(root: Path) -> None:
    """Loading says each problem in English (what `str` gives) and in French (what a French site's
    editor reads), the hint too; a did-you-mean then a fix are joined in each language."""
    from consult.errors import ConsultError

    path = root / COMMENT
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("status: published", "status: publishd"), encoding="utf-8")
    with pytest.raises(ConsultError) as caught:
        read(root)
    [problem] = caught.value.problems
    assert str(problem) == f"{COMMENT}:7:9: unknown status 'publishd' (did you mean 'published'?)"
    assert problem.said("fr") == f"{COMMENT}:7:9: statut inconnu « publishd » (vouliez-vous dire « published » ?)"
    path.write_text(text.replace("proposal: rue-haute", "proposal: rue-haut"), encoding="utf-8")
    config, _ = load_config(root)
    assert config is not None
    [warning] = load_site(root, config, parse_now(NOW, config))[1]
    assert warning.said("fr") == (
        f"{COMMENT}:4:11: avertissement : proposition inconnue « rue-haut » : cette contribution n'est pas publiée "
        "(vouliez-vous dire « rue-haute » ? Indiquez une proposition existante dans « proposal: », ou refusez la "
        "contribution)")
    assert str(warning) == (
        f"{COMMENT}:4:11: warning: unknown proposal 'rue-haut': this contribution is not published "
        "(did you mean 'rue-haute'? Set 'proposal:' to an existing proposal, or reject the contribution)")
