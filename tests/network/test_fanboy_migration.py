"""Migration out-links in real pro-IS tweets (../shared/data/isis-fanboy): the Telegram
channels and the content stores, each with the accounts that pointed there. Only
destinations and account names are checked; tweet texts are never printed."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from hydrawatch.ingest import ingest_paths
from hydrawatch.network.migration import platform_summary
from hydrawatch.network.pipeline import network_migration
from hydrawatch.store.duck import Store
pytestmark = pytest.mark.realdata

FANBOY = Path(__file__).resolve().parents[3] / "shared" / "data" / "isis-fanboy" / "IsisFanboy.csv"


@pytest.fixture(scope="module")
def fanboy_rows(tmp_path_factory):
    if not FANBOY.exists():
        pytest.skip(f"real data set not present: {FANBOY} (see ../shared/data/README.md)")
    path = FANBOY
    db = tmp_path_factory.mktemp("fanboy") / "fanboy.duckdb"
    with Store(db) as store:
        assert not ingest_paths(store, [path]).failed
        result = network_migration(store)
    return result


def test_telegram_destinations_with_their_accounts(fanboy_rows):
    telegram = defaultdict(set)
    for row in fanboy_rows.rows:
        if row["destination_platform"] == "telegram":
            telegram[row["destination"]].add(row["account_id"].lower())
    assert len(telegram) >= 10
    assert {"@maghrebiqm", "@fidaee_fulaani"} <= telegram["t.me/maghrebiwitness"]
    assert "t.me/constantsofjihad3" in telegram and "t.me/amaqag" in telegram
    assert any(d.startswith("t.me/joinchat/") for d in telegram)  # private invite links kept as they are
    assert all(row["evidence"] and row["first_seen"] is not None for row in fanboy_rows.rows)


def test_content_stores_listed(fanboy_rows):
    summary = {r["platform"]: r for r in platform_summary(fanboy_rows.rows)}
    assert summary["justpaste"]["destinations"] >= 300 and summary["justpaste"]["accounts"] >= 50
    assert summary["archive"]["destinations"] >= 20
    assert summary["telegram"]["kind"] == "platform" and summary["justpaste"]["kind"] == "content_store"
    # t.co links the export left unexpanded cannot be resolved offline: counted, not guessed.
    assert fanboy_rows.unresolved_short_links > 1000
