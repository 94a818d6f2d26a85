"""Two changes made at once are judged one after the other: the second is compared with the
first's result, so it cannot silently undo it (on both stores)."""

from __future__ import annotations

import threading
import time

from postgate.services import rule_versions
from tests.postgate.test_rule_versions import RULES, local_rt  # noqa: F401 (fixture)


def test_a_change_racing_another_is_judged_against_its_result(local_rt):  # noqa: F811
    rt = local_rt
    with rt.store.transaction() as db:
        rule_versions.current(rt, db)  # the files' import, before the race
    outcome: dict[str, object] = {}

    def second() -> None:  # written from the same old text: it lacks "first"
        with rt.store.transaction() as db:
            row = rule_versions.propose(
                rt, db, rules=RULES.replace('"scam",', '"scam", "second",'), actor="bob"
            )
            outcome["status"], outcome["loosening"] = row.status, list(row.loosening)

    with rt.store.transaction() as db:
        rule_versions.propose(
            rt, db, rules=RULES.replace('"scam",', '"scam", "first",'), actor="ada"
        )
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second change is waiting for this one
        assert "status" not in outcome
    racer.join(timeout=30)
    assert outcome["status"] == "pending"
    assert outcome["loosening"] == ['rule "banned-terms": first removed from terms']
