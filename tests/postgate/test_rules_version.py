"""Every change of the rules, terms or catalogue files is audited as ``config:rules`` with the
old and new version, once, however many processes notice it."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from postgate.runtime import Runtime
from postgate.services.checking import check_rules_version, evaluate
from postgate.settings import load_settings
from postgate.store.models import Account, AuditEntry
from tests.helpers import make_account
from tests.postgate.test_audit import process_env

RULES = """
[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms_file = "terms.txt"
"""
CATALOG = (
    "sku,name,aliases,price,currency,promo_price,promo_start,promo_end\nA1,Widget,,{price},EUR,,,\n"
)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "rules.toml").write_text(RULES)
    (folder / "terms.txt").write_text("scam\n")
    (folder / "catalog.csv").write_text(CATALOG.format(price="10.00"))
    return folder


@pytest.fixture
def local_rt(rt, rules_dir: Path) -> Runtime:
    return Runtime(
        rt.settings.with_overrides(
            rules_path=rules_dir / "rules.toml", catalog_path=rules_dir / "catalog.csv"
        )
    )


def rule_changes(rt) -> list[dict]:
    with rt.store.session() as db:
        found = db.scalars(select(AuditEntry).where(AuditEntry.action == "config:rules"))
        return [e.details for e in found]


def check_draft(rt, text: str = "hello") -> str:
    with rt.store.transaction() as db:
        account = db.scalar(select(Account).where(Account.name == "acme"))
        return evaluate(rt, db, account, text, None).version


def touch(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later mtime


def test_each_file_change_is_audited_with_old_and_new_version(local_rt, rules_dir) -> None:
    make_account(local_rt, "acme")
    first = check_draft(local_rt)
    assert rule_changes(local_rt) == [
        {
            "old": None,
            "new": first,
            "files": [str(rules_dir / n) for n in ("rules.toml", "catalog.csv", "terms.txt")],
        }
    ]
    check_draft(local_rt)
    assert len(rule_changes(local_rt)) == 1  # same version: nothing new
    versions = [first]
    for name, text in (
        ("terms.txt", "scam\nfraud\n"),
        ("catalog.csv", CATALOG.format(price="12.00")),
        ("rules.toml", RULES + 'severity = "flag"\n'),
    ):
        touch(rules_dir / name, text)
        versions.append(check_draft(local_rt))
    changes = rule_changes(local_rt)
    assert [(c["old"], c["new"]) for c in changes[1:]] == list(itertools.pairwise(versions))
    assert len(set(versions)) == 4


def test_the_workers_periodic_look_audits_an_edit_nobody_posted_after(local_rt, rules_dir):
    check_rules_version(local_rt)
    touch(rules_dir / "terms.txt", "scam\nponzi\n")
    check_rules_version(local_rt)
    assert len(rule_changes(local_rt)) == 2


def _evaluate_in_child(env: dict, rules_path: str, catalog_path: str, ready, go) -> None:
    rt = Runtime(
        load_settings(env=env).with_overrides(rules_path=rules_path, catalog_path=catalog_path)
    )
    check_draft(rt)
    ready.set()
    go.wait(30)
    check_draft(rt)


@pytest.mark.postgresql_pass  # several machines' processes, on production's store
def test_several_processes_noticing_one_change_write_one_entry(local_rt, rules_dir) -> None:
    make_account(local_rt, "acme")
    settings = local_rt.settings
    env = process_env(local_rt)
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    readies = [ctx.Event() for _ in range(3)]
    args = (env, str(settings.rules_path), str(settings.catalog_path))
    procs = [ctx.Process(target=_evaluate_in_child, args=(*args, r, go)) for r in readies]
    for proc in procs:
        proc.start()
    for ready, proc in zip(readies, procs, strict=True):
        assert ready.wait(60) and proc.is_alive(), "a process could not evaluate"
    touch(rules_dir / "terms.txt", "scam\nrug pull\n")
    go.set()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert len(rule_changes(local_rt)) == 2  # the first version, then the edit, once
