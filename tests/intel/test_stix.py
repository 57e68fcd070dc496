"""The STIX 2.1 bundle of confirmed cases: parses with stix2 (no custom content), passes the
OASIS validator without errors or warnings, holds exactly the confirmed cases, links returns,
groups lineages, keeps moderators' names and notes out, and is stable across exports."""

from __future__ import annotations

import io
import json

import pytest
import stix2
from hypothesis import given
from hypothesis import strategies as st
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_string

from hydrawatch.core.errors import ConfigError
from hydrawatch.intel import StixConfig, account_pattern, export_stix
from hydrawatch.review import ReviewStore
from hydrawatch.store.duck import Store

from reports.world import MODERATOR, SECRET_REASON, XSS_HANDLE

#: The shared world takes about a minute to build on two busy cores (once per session).
pytestmark = pytest.mark.slow


def _export(world, **options) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    with ReviewStore(world.review) as review, Store(world.store, read_only=True) as store:
        counts = export_stix(review, buffer, store, **options)
    return buffer.getvalue(), counts


@pytest.fixture(scope="module")
def exported(report_world):
    return _export(report_world)


def test_bundle_parses_and_validates(exported):
    text, counts = exported
    bundle = stix2.parse(text.decode("utf-8"), allow_custom=False)
    assert bundle.type == "bundle" and len(bundle.objects) == counts["objects"]
    result = validate_string(text.decode("utf-8"), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    assert result.errors == [] and result.warnings == [], [str(w) for w in result.warnings]


def test_exactly_the_confirmed_cases(exported, report_world):
    bundle = json.loads(exported[0])
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert len(indicators) == len(report_world.confirmed)
    accounts = {(o["account_type"], o["user_id"]) for o in bundle["objects"] if o["type"] == "user-account"}
    assert accounts == set(report_world.confirmed_accounts)
    with ReviewStore(report_world.review) as review:
        dismissed = {review.get(c).subject_account_id for c in report_world.dismissed}
        still_open = {review.get(c).subject_account_id for c in report_world.open_cases}
    leaked = (dismissed | still_open) - {a for _, a in report_world.confirmed_accounts}
    assert leaked and not leaked & {a for _, a in accounts}


def test_returns_are_linked_and_lineages_grouped(exported, report_world):
    objects = {o["id"]: o for o in json.loads(exported[0])["objects"]}
    account_id = {o["id"]: o["user_id"] for o in objects.values() if o["type"] == "user-account"}
    links = {(account_id[o["source_ref"]], account_id[o["target_ref"]]) for o in objects.values()
             if o["type"] == "relationship" and o["source_ref"] in account_id and o["target_ref"] in account_id}
    assert links == set(report_world.returnee_links)
    for relationship in (o for o in objects.values() if o["type"] == "relationship"):
        assert relationship["relationship_type"] == "related-to"
        assert relationship["source_ref"] in objects and relationship["target_ref"] in objects
    lineage = next(o for o in objects.values() if o["type"] == "grouping" and report_world.xss_account in
                   {account_id.get(ref) for ref in o["object_refs"]})
    members = [account_id[ref] for ref in lineage["object_refs"] if ref in account_id]
    assert members[-1] == report_world.xss_account and len(members) >= 3, "oldest first, the newest return last"


def test_accounts_carry_handles_and_indicators_match_them(exported, report_world):
    objects = json.loads(exported[0])["objects"]
    planted = next(o for o in objects if o["type"] == "user-account" and o["user_id"] == report_world.xss_account)
    assert planted["account_login"] == XSS_HANDLE, "text stays as it is in JSON (consumers escape on display)"
    patterns = [o["pattern"] for o in objects if o["type"] == "indicator"]
    assert f"user-account:user_id = '{report_world.xss_account}'" in " ".join(patterns)
    for indicator in (o for o in objects if o["type"] == "indicator"):
        assert 0 <= indicator["confidence"] <= 100 and indicator["valid_from"] >= indicator["created"]
        assert indicator["created_by_ref"].startswith("identity--")


def test_no_moderator_names_or_notes(exported):
    text = exported[0].decode("utf-8")
    assert MODERATOR not in text and SECRET_REASON not in text


def test_markings(exported, report_world):
    objects = json.loads(exported[0])["objects"]
    for item in objects:
        if item["type"] not in ("marking-definition",):
            assert item["object_marking_refs"] == [stix2.TLP_AMBER.id], item["type"]
    red, _ = _export(report_world, config=StixConfig(tlp="red", producer="Example Platform T&S"))
    red_objects = json.loads(red)["objects"]
    assert {tuple(o.get("object_marking_refs", ())) for o in red_objects if o["type"] != "marking-definition"} == {(stix2.TLP_RED.id,)}
    assert any(o["type"] == "identity" and o["name"] == "Example Platform T&S" for o in red_objects)
    with pytest.raises(ConfigError, match="TLP"):
        StixConfig(tlp="purple")


def test_exports_are_stable(exported, report_world):
    again, _ = _export(report_world)
    first, second = json.loads(exported[0]), json.loads(again)
    assert first["id"] != second["id"], "each bundle is a new message"
    assert sorted(json.dumps(o, sort_keys=True) for o in first["objects"]) == sorted(json.dumps(o, sort_keys=True) for o in second["objects"])


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=30))
def test_account_pattern_is_valid_for_any_text(platform, account_id):
    pattern = account_pattern(platform, account_id)
    assert run_validator(pattern, stix_version="2.1") == []
    indicator = stix2.Indicator(pattern=pattern, pattern_type="stix", valid_from="2015-03-01T00:00:00Z")
    assert indicator.pattern == pattern
