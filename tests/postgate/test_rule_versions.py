"""Rules and catalogue kept in the store (``postgate.services.rule_versions``): every change a
version, tightening at once, loosening only after a second person, rollback, validation
naming the line and field; the checks read the version in force."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.runtime import Runtime
from postgate.services import rule_versions
from postgate.services.checking import evaluate
from postgate.store.models import Account, AuditEntry, RuleVersion
from tests.helpers import make_account
from tests.postgate.service_people import people

RULES = """catalog = "catalog.csv"

[[rules]]
id = "banned-terms"
kind = "banned_terms"
severity = "block"
terms = ["scam", "arnaqu*"]

[[rules]]
id = "prices"
kind = "prices"
"""
HEADER = "sku,name,aliases,price,currency,promo_price,promo_start,promo_end\n"
CATALOG = HEADER + "A1,Casque Aurora,,99.99,EUR,,,\n"


@pytest.fixture
def local_rt(rt, tmp_path: Path) -> Runtime:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "rules.toml").write_text(RULES)
    (folder / "catalog.csv").write_text(CATALOG)
    local = Runtime(rt.settings.with_overrides(rules_path=folder / "rules.toml", catalog_path=None))
    make_account(local, "acme")
    people(local, ada=("admin",), bob=("admin",), sec=("security",), rev=("reviewer",))
    return local


def findings(rt: Runtime, text: str) -> list[str]:
    with rt.store.transaction() as db:
        account = db.scalar(select(Account).where(Account.name == "acme"))
        return [f.rule for f in evaluate(rt, db, account, text, None).findings]


def propose(rt: Runtime, actor: str = "ada", **change: str) -> RuleVersion:
    with rt.store.transaction() as db:
        row = rule_versions.propose(rt, db, actor=actor, **change)
        db.expunge(row)
        return row


def decide(rt: Runtime, how, version_id: int, actor: str) -> RuleVersion:
    with rt.store.transaction() as db:
        row = how(rt, db, version_id, actor=actor)
        db.expunge(row)
        return row


def test_tightening_takes_effect_at_once_and_the_files_are_the_first_version(local_rt):
    assert findings(local_rt, "a bargain") == []
    row = propose(local_rt, rules=RULES.replace('"scam",', '"scam", "bargain",'))
    assert row.status == "applied" and row.loosening == [] and row.base_id is not None
    assert findings(local_rt, "a bargain") == ["banned-terms"]
    with local_rt.store.session() as db:
        first = db.get(RuleVersion, row.base_id)
        assert first is not None and first.author == "config files" and first.rules == RULES
        assert '+terms = ["scam", "bargain",' in rule_versions.diff(db, row)
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "config:rules-change")
        ).all()
    assert [e.actor for e in entries] == ["config files", "ada"]
    assert "+terms" in entries[-1].details["diff"]


def test_removing_a_term_waits_for_a_second_person(local_rt):
    row = propose(local_rt, rules=RULES.replace('"scam", ', ""))
    assert row.status == "pending"
    assert row.loosening == ['rule "banned-terms": scam removed from terms']
    assert findings(local_rt, "a scam") == ["banned-terms"]  # still in force
    with pytest.raises(Forbidden):
        decide(local_rt, rule_versions.approve, row.id, "ada")  # its author
    with pytest.raises(Forbidden):
        decide(local_rt, rule_versions.approve, row.id, "rev")  # not admin nor security
    approved = decide(local_rt, rule_versions.approve, row.id, "sec")
    assert approved.status == "applied" and approved.decided_by == "sec"
    assert findings(local_rt, "a scam") == []
    with pytest.raises(Conflict):
        decide(local_rt, rule_versions.approve, row.id, "bob")


def test_a_pending_change_based_on_rules_since_replaced_cannot_be_approved(local_rt):
    loose = propose(local_rt, rules=RULES.replace('"scam", ', ""))
    propose(local_rt, rules=RULES.replace('"scam",', '"scam", "bargain",'))
    with pytest.raises(Conflict):
        decide(local_rt, rule_versions.approve, loose.id, "bob")
    assert findings(local_rt, "a bargain scam") == ["banned-terms", "banned-terms"]


@pytest.mark.parametrize(
    ("rules", "catalog", "reason"),
    [
        (RULES.replace('severity = "block"', 'severity = "flag"'), None, "lowered"),
        (RULES.split('[[rules]]\nid = "prices"')[0], None, 'rule "prices" removed'),
        (
            RULES + '\n[accounts.acme]\ndisable = ["prices"]\n',
            None,
            'rule "prices" disabled for account "acme"',
        ),
        (None, CATALOG.replace("99.99", "9.99"), 'product "A1": price changed'),
        (None, HEADER, 'product "A1" deleted'),
    ],
)
def test_what_loosens_protection(local_rt, rules, catalog, reason):
    change = {k: v for k, v in (("rules", rules), ("catalog", catalog)) if v is not None}
    row = propose(local_rt, **change)
    assert row.status == "pending"
    assert any(reason in r for r in row.loosening), row.loosening


def test_adding_a_product_is_tightening(local_rt):
    row = propose(local_rt, catalog=CATALOG + "B2,Enceinte Nova,,49.00,EUR,,,\n")
    assert row.status == "applied"
    assert findings(local_rt, "Enceinte Nova à 4,90 € !") == ["prices"]


@pytest.mark.parametrize(
    ("change", "field", "where"),
    [
        ({"catalog": CATALOG + "B2,Nova,,4,90,EUR,,,\n"}, "catalog", "catalog.csv line 3"),
        ({"catalog": CATALOG + "B2,Nova,,4.90,EURO,,,\n"}, "catalog", "column 'currency'"),
        ({"rules": RULES.replace("terms = [", "termz = [")}, "rules", 'rule "banned-terms"'),
        ({"rules": RULES.replace('kind = "prices"', 'kind = "pricez"')}, "rules", "line 10"),
        ({"rules": "[[rules]\n"}, "rules", "not valid TOML"),
    ],
)
def test_a_bad_version_is_refused_naming_the_line_and_field(local_rt, change, field, where):
    with pytest.raises(ValidationFailed) as refused:
        propose(local_rt, **change)
    assert refused.value.field == field and where in refused.value.message
    assert "/" not in refused.value.message.split(":")[0]  # no server path
    with local_rt.store.session() as db:
        assert db.scalar(select(RuleVersion.id).where(RuleVersion.author == "ada")) is None


def test_rollback_is_a_new_version_judged_like_any_change(local_rt):
    tighter = propose(local_rt, rules=RULES.replace('"scam",', '"scam", "bargain",'))
    assert tighter.base_id is not None
    back = decide(local_rt, rule_versions.rollback, tighter.base_id, "ada")
    assert back.status == "pending" and back.rollback_of == tighter.base_id  # drops "bargain"
    assert findings(local_rt, "a bargain") == ["banned-terms"]
    decide(local_rt, rule_versions.approve, back.id, "bob")
    assert findings(local_rt, "a bargain") == []
    again = decide(local_rt, rule_versions.rollback, tighter.id, "bob")
    assert again.status == "applied"  # adding the term back tightens
    assert findings(local_rt, "a bargain") == ["banned-terms"]


def test_an_unchanged_version_is_refused(local_rt):
    with pytest.raises(Conflict):
        propose(local_rt, rules=RULES)


def test_the_publish_time_check_uses_the_version_in_force_now(local_rt):
    from postgate.services.posts import submit
    from postgate.services.publishing import ClaimOutcome, claim_post
    from tests.postgate.service_people import approve, post_of, user

    people(local_rt, ana=("author",))
    with local_rt.store.transaction() as db:
        post_id = submit(local_rt, db, user(db, "ana"), "acme", "Our new bargain!", None).id
    assert approve(local_rt, "rev", post_id) == "scheduled"
    propose(local_rt, rules=RULES.replace('"scam",', '"scam", "bargain",'))  # in force at once
    result = claim_post(local_rt, post_id, post_of(local_rt, post_id).revision, "token")
    assert result.outcome == ClaimOutcome.BLOCKED and "banned-terms" in result.reason
    assert post_of(local_rt, post_id).status == "blocked"
