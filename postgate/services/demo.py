"""A demo organisation: users for every role, two sandbox accounts and sample posts.

Everything is created through the same services a real installation uses. The demo users'
TOTP secrets are also written to ``<instance>/demo.json`` so that ``postgate demo otp NAME``
can print a current code for people trying Postgate without an authenticator app; that file
and command only ever know the demo users.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from postgate import otp
from postgate.errors import NotFound
from postgate.local import sandbox_running
from postgate.runtime import Runtime
from postgate.services.accounts import add_account
from postgate.services.media import read_into
from postgate.services.media import upload as upload_media
from postgate.services.posts import submit
from postgate.services.users import create_user
from postgate.states import Role
from postgate.store.models import Account, Post, User
from postgate.store.types import utcnow
from postgate.vault import write_private

DEMO_PASSWORD = "Sandbox-demo-2026"  # noqa: S105 - the demo's published password
DEMO_USERS = {
    "alice": (Role.AUTHOR,),
    "bruno": (Role.REVIEWER,),
    "chloe": (Role.REVIEWER, Role.AUTHOR),
    "sam": (Role.SECURITY, Role.REVIEWER),
    "ada": (Role.ADMIN,),
}


@dataclass(frozen=True)
class DemoAccount:
    timezone: str
    windows: tuple[str, ...]
    approvals: int


DEMO_ACCOUNTS = {
    "acme-fr": DemoAccount("Europe/Paris", ("mon-sat 07:00-22:00",), 1),
    "acme-en": DemoAccount("Europe/London", (), 2),
}
SAMPLE_POSTS = [
    ("alice", "acme-fr", "Nouvelle collection d'hiver en boutique dès samedi ! ❄️", 3),
    ("alice", "acme-fr", "Le casque Aurora est à 9,99 € seulement ce week-end !", 26),
    ("chloe", "acme-en", "Our winter collection lands in stores this Saturday.", 27),
]
IMAGE_POST = ("alice", "acme-fr", "La lampe Lumen revient en boutique samedi ! 💡", 30)
IMAGE_ALT = "Affiche jaune : « Lampe Lumen, 34,90 € », avec le mot NOUVEAU en rouge."


def demo_file(rt: Runtime) -> Path:
    return rt.settings.instance_path / "demo.json"


def create_demo(rt: Runtime) -> str:
    """Create what is missing of the demo organisation; returns how to log in.

    The demo accounts live on the sandbox platform, which is started for the while when
    none answers (their tokens are issued by it).
    """
    with sandbox_running(rt.settings):
        secrets = _create_users(rt)
        _create_accounts(rt)
        _create_posts(rt)
    return _instructions(rt, secrets)


def _create_users(rt: Runtime) -> dict[str, str]:
    path = demo_file(rt)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    with rt.store.transaction() as db:
        for name, roles in DEMO_USERS.items():
            if db.scalar(select(User.id).where(User.username == name)) is None:
                created = create_user(rt, db, name, roles, password=DEMO_PASSWORD, actor="demo")
                known[name] = created.totp_secret
    write_private(path, json.dumps(known, indent=2))
    return known


def _create_accounts(rt: Runtime) -> None:
    with rt.store.transaction() as db:
        for name, options in DEMO_ACCOUNTS.items():
            if db.scalar(select(Account.id).where(Account.name == name)) is None:
                add_account(
                    rt,
                    db,
                    name,
                    "sandbox",
                    timezone=options.timezone,
                    windows=options.windows,
                    approvals_required=options.approvals,
                    actor="demo",
                )


def _create_posts(rt: Runtime) -> None:
    with rt.store.transaction() as db:
        if db.scalar(select(Post.id).limit(1)) is not None:
            return
        for author, account, text, hours in SAMPLE_POSTS:
            user = db.scalar(select(User).where(User.username == author))
            assert user is not None
            submit(rt, db, user, account, text, utcnow() + timedelta(hours=hours), source="demo")
        author, account, text, hours = IMAGE_POST
        user = db.scalar(select(User).where(User.username == author))
        assert user is not None
        picture = upload_media(rt, db, user, demo_visual(), IMAGE_ALT, source="demo")
        if picture.ocr_status == "pending":  # read now: the demo has no worker yet
            read_into(picture, demo_visual())
        media = [{"id": picture.id, "alt": IMAGE_ALT}]
        when = _next_weekday_morning(DEMO_ACCOUNTS[account].timezone)
        submit(rt, db, user, account, text, when, media=media, source="demo")


def _next_weekday_morning(timezone: str) -> datetime:
    """10:00 on the next Monday-to-Friday in ``timezone``: inside every demo posting window,
    whatever the hour ``postgate init --demo`` runs at (the image post must not be blocked)."""
    local = datetime.now(ZoneInfo(timezone)) + timedelta(days=1)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)


DEMO_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")  # fonts-dejavu-core


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu when installed (it has the euro sign), else Pillow's own font."""
    if DEMO_FONT.exists():
        return ImageFont.truetype(str(DEMO_FONT), size)
    return ImageFont.load_default(size=size)


def demo_visual() -> bytes:
    """The demo's promotion visual, drawn here (the right price: the post is clean)."""
    image = Image.new("RGB", (1080, 1080), "#fff3b0")
    draw = ImageDraw.Draw(image)
    for y, text, size, colour in (
        (170, "NOUVEAU", 120, "#e63946"),
        (420, "Lampe Lumen", 96, "#1d3557"),
        (620, "34,90 €", 170, "#1d3557"),
    ):
        font = _font(size)
        width = draw.textlength(text, font=font)
        draw.text(((1080 - width) / 2, y), text, font=font, fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _instructions(rt: Runtime, secrets: dict[str, str]) -> str:
    lines = [
        "Demo organisation ready.",
        f"  Users (password {DEMO_PASSWORD!r} for all):",
    ]
    for name, roles in DEMO_USERS.items():
        lines.append(f"    {name:6} {', '.join(roles):20} TOTP secret {secrets.get(name, '?')}")
    lines += [
        "  Accounts: acme-fr (Europe/Paris, 1 approval), acme-en (Europe/London, 2 approvals),",
        "  both on the local sandbox platform.",
        "  Log in with the password and a TOTP code from an authenticator app holding the secret,",
        "  or print a current code with:  postgate demo otp alice",
        "  To connect one more the way real accounts connect, sign in as ada: Accounts,",
        "  Connect with the platform, platform Sandbox; the sandbox shows its consent page.",
    ]
    return "\n".join(lines)


def demo_code(rt: Runtime, username: str) -> str:
    """A current TOTP code for a demo user (and only for one)."""
    path = demo_file(rt)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if username not in known:
        raise NotFound(
            "{name!r} is not a demo user of this instance", field="username", name=username
        )
    return otp.code_at(known[username], otp.current_step(rt.clock()))
