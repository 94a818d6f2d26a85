"""The catalogue as an editable table on the rules page: a product added (in force at once),
changed or deleted (waiting for a second person), a bad cell shown next to its field."""

from __future__ import annotations

import pytest

from gateway import create_app
from postgate.services import rule_versions
from tests.helpers import Actors, WebActions

pytestmark = pytest.mark.store_neutral

ROW = {
    "sku": "ZEP-1",
    "name": "Lampe Zephyr",
    "aliases": "Zephyr | Zephyr Lamp",
    "price": "25,00",
    "currency": "eur",
    "promo_price": "",
    "promo_start": "",
    "promo_end": "",
}


@pytest.fixture
def strict(rt, totp_clock):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    web, actors = WebActions(app.test_client()), Actors(rt, None, totp_clock)
    ada = actors.create("ada", "admin")
    web.login(ada)
    return web, ada


def save(web, ada, original: str = "", delete: bool = False, **cells):
    data = {"product-csrf_token": web.csrf("/admin/rules"), "product-original": original}
    data |= {f"product-{k}": v for k, v in cells.items()} | {"product-otp": ada.code()}
    if delete:
        data["delete"] = "1"
    return web.client.post("/admin/rules/catalog/product", data=data, follow_redirects=True)


def catalog(rt) -> str:
    with rt.store.transaction() as db:
        return rule_versions.current(rt, db).catalog or ""


def test_add_edit_and_delete_a_product(rt, strict):
    web, ada = strict
    page = web.client.get("/admin/rules").get_data(as_text=True)
    assert 'name="product-sku"' in page and "Delete this product" in page
    added = save(web, ada, **ROW).get_data(as_text=True)
    assert "is in force." in added and "takes effect once another admin" not in added
    assert "ZEP-1,Lampe Zephyr,Zephyr|Zephyr Lamp,25.00,EUR,,," in catalog(rt)
    assert "add product &#39;ZEP-1&#39;" in added and "+ZEP-1,Lampe Zephyr" in added

    cheaper = save(web, ada, original="ZEP-1", **(ROW | {"price": "19.00"})).get_data(as_text=True)
    assert "takes effect once another admin" in cheaper
    assert "product &#34;ZEP-1&#34;: price changed" in cheaper
    assert "25.00,EUR" in catalog(rt)  # in force only once approved

    gone = save(web, ada, original="AUR-200", delete=True).get_data(as_text=True)
    assert "product &#34;AUR-200&#34; deleted" in gone


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ({"price": "cheap"}, "price", "is not a price like 19.99"),
        ({"currency": "euros"}, "currency", "three letters"),
        ({"name": ""}, "name", "required"),
        ({"promo_start": "2026-13-01", "promo_price": "20"}, "promo_start", "is not a date"),
        ({"promo_start": "2026-12-01"}, "promo_price", "promotion"),
        ({"sku": "AUR-100"}, "sku", "already has the SKU"),
    ],
)
def test_a_bad_cell_is_shown_next_to_its_field(rt, strict, cells, field, words):
    web, ada = strict
    before = catalog(rt)
    answer = save(web, ada, **(ROW | cells))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    at = page.index(f'id="product-{field}-new"')
    error = page.index(f'id="product-{field}-new-error"')
    assert at < error and words in page[error : error + 300]
    assert catalog(rt) == before
