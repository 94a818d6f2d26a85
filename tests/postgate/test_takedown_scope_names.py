"""A takedown's ``include_postgate`` names users however their names were typed."""

from __future__ import annotations

import pytest

from postgate.errors import ValidationFailed
from postgate.services.takedown_scope import Scope
from postgate.services.takedowns import check_scope
from tests.postgate.service_people import people


def test_include_postgate_names_match_stored_users_whatever_the_case(rt) -> None:
    people(rt, ana=("author",))
    with rt.store.session() as db:
        checked = check_scope(db, Scope(include_postgate=("Ana",)))
        assert checked.include_postgate == ("ana",)
        with pytest.raises(ValidationFailed) as refused:
            check_scope(db, Scope(include_postgate=("Ana", "Nobody")))
    assert refused.value.field == "include_postgate"
