"""The console says how many posts the lifted freeze sent back to review, in French too."""

from __future__ import annotations

from postgate.services.posts import submit
from postgate.store.models import Post, User
from tests.helpers import make_account


def test_lifting_from_the_console_says_which_posts_went_back(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    actors.create("ana", "author")
    web.login(actors.create("sam", "security"), lang="fr")
    assert (
        web.submit("/security/freeze", {"account": "acme", "reason": "piraté"}).status_code == 302
    )
    with rt.store.transaction() as db:
        ana = db.query(User).filter_by(username="ana").one()
        post_id = submit(rt, db, ana, "acme", "Bonjour", None).id
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "blocked"
    lifted = web.submit("/security/freeze/lift", {"lift-account": "acme"})
    assert lifted.status_code == 302
    page = client.get(lifted.headers["Location"]).get_data(as_text=True)
    assert "1 publication bloquée par le gel est repartie en relecture." in page
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "pending_review"
