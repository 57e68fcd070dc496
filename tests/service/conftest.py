"""Fixtures of the console and API tests: a small world (store + review database), users of
every role, and apps built on copies of the review database so tests cannot see each other's
decisions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the console needs the web extra: pip install -e '.[dev,web]'")
pytest.importorskip("argon2", reason="the console needs the web extra: pip install -e '.[dev,web]'")

from argon2 import PasswordHasher  # noqa: E402

from hydrawatch.review import ReviewStore  # noqa: E402
from hydrawatch.review.users import Users  # noqa: E402

from .world import build_world  # noqa: E402

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "moderator", "admin")
#: A 1x1 PNG, served by the fake picture fetcher.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1d5ed3c0000000049454e44ae426082")


@pytest.fixture(scope="session")
def cheap_hasher():
    """argon2id with tiny costs: the tests log in hundreds of times."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> dict:
    return build_world(tmp_path_factory.mktemp("world"))


class FakePictures:
    def __init__(self):
        self.asked: list[str] = []

    def fetch(self, url: str) -> bytes | None:
        self.asked.append(url)
        return PNG if "profile_images" in url or "/media/known" in url else b"<svg onload=alert(1)>"


@pytest.fixture
def review_copy(world, tmp_path, cheap_hasher) -> Path:
    """A copy of the world's review database with one user per role (NAME = the role)."""
    path = tmp_path / "review.sqlite"
    shutil.copy(world["review"], path)
    with ReviewStore(path) as review:
        users = Users(review, cheap_hasher)
        for role in ROLES:
            users.add(role, role, PASSWORD)
    return path


@pytest.fixture
def make_app(world, review_copy, cheap_hasher, tmp_path):
    from hydrawatch.service import ServiceConfig, create_app

    def make(**overrides):
        settings = {"review_db": review_copy, "secret_key": "test-secret-" + "x" * 40, "store_path": world["store"],
                    "password_hasher": cheap_hasher, "media_fetcher": FakePictures(), **overrides}
        return create_app(ServiceConfig(**settings))

    return make


@pytest.fixture
def client(make_app):
    from starlette.testclient import TestClient

    with TestClient(make_app()) as opened:
        yield opened


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client, name: str, password: str = PASSWORD):
    """Log in through the form; returns the response of the login POST (not followed)."""
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/queue"},
                       follow_redirects=False)


def logged_in_csrf(client) -> str:
    return csrf_of(client.get("/queue").text)
