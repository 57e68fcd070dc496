"""Confirmed cases as a STIX 2.1 bundle (OASIS), the format threat-intelligence platforms
(OpenCTI, MISP, TAXII servers) exchange.

What goes in, per confirmed case:

* a ``user-account`` observable for the subject and each related account (``user_id``,
  ``account_type`` = platform, ``account_login`` = handle, display name, creation time). Its id
  is STIX's deterministic id of those properties, so the same account exported twice (or by
  two organisations) is the same object;
* an ``indicator`` whose pattern matches the subject account
  (``[user-account:account_type = 'twitter' AND user-account:user_id = '2002']``), with the
  calibrated probability as ``confidence`` (0-100), the case summary and evidence as its
  description, valid from the decision; linked to the observable by ``related-to`` (STIX
  suggests ``based-on`` only towards observed-data, and the OASIS validator warns otherwise);
* for returnee cases, a ``related-to`` relationship from the new account to the suspended one
  it is believed to be, and a ``grouping`` per actor (the accounts of a lineage chained by
  confirmed returns). ``duplicate-of`` is not used: it says two STIX objects describe the same
  thing, and two accounts are two things even when one person runs both.

What stays out: moderators' names and their reasons (internal records), and anything not
confirmed by a person. Objects carry a TLP marking (amber by default: share with the
organisations that need it) and are created by an ``identity`` naming the producer.

Indicator, relationship and grouping ids are derived from the case (hashed into UUIDv4 form), so re-exporting the same decisions
yields the same objects; a changed decision yields a new version (later ``modified``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import stix2

from hydrawatch.core.errors import ConfigError

from .accounts import AccountDetails

#: uuid5 namespace of hydrawatch's STIX ids (fixed forever: changing it renames every object).
NAMESPACE = uuid.UUID("9a0cf3f4-5d43-4f6f-8d6b-0c3c7b1f2e61")

TLP = {"white": stix2.TLP_WHITE, "clear": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER, "red": stix2.TLP_RED}

#: STIX ``indicator-type-ov`` per case type: all are malicious activity; a return is also
#: attribution (it ties a new account to a known actor).
INDICATOR_TYPES = {"returnee": ["malicious-activity", "attribution"]}

#: The producer identity never changes, so it has one fixed version (a new timestamp on every
#: export would make every bundle carry a "new version" of it).
PRODUCER_SINCE = datetime(2024, 1, 1, tzinfo=UTC)

_ENDING = {"suspended": "suspension", "deleted": "deletion", "protected": "going private"}

#: Evidence of these signals names the model, not a reason: it is in the indicator's labels.
_NOT_REASONS = ("model", "candidate")


@dataclass(frozen=True, slots=True)
class StixConfig:
    """``tlp``: white (clear), green, amber or red; ``producer``: the organisation named as the
    creator of every object (set it to yours)."""

    tlp: str = "amber"
    producer: str = "hydrawatch"

    def __post_init__(self) -> None:
        if self.tlp not in TLP:
            raise ConfigError(f"unknown TLP level {self.tlp!r}; use one of {', '.join(TLP)}")
        if not self.producer.strip():
            raise ConfigError("producer must name the organisation that shares the bundle")


def _id(kind: str, *parts: str) -> str:
    """A deterministic id in UUIDv4 form (what STIX asks of SDOs and SROs): the bits of a uuid5
    of ``parts`` with the version set to 4, so the same case always gets the same id."""
    digest = uuid.uuid5(NAMESPACE, "|".join(parts)).bytes
    return f"{kind}--{uuid.UUID(bytes=digest, version=4)}"


def _when(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pattern_value(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def account_pattern(platform: str, account_id: str) -> str:
    return f"[user-account:account_type = {_pattern_value(platform)} AND user-account:user_id = {_pattern_value(account_id)}]"


def _user_account(details: AccountDetails, marking) -> stix2.UserAccount:
    fields = {"user_id": details.account_id, "account_type": details.platform}
    if details.username:
        fields["account_login"] = details.username
    if details.display_name:
        fields["display_name"] = details.display_name
    if details.created_at is not None:
        fields["account_created"] = details.created_at
    return stix2.UserAccount(**fields, object_marking_refs=[marking])


def _label(details: AccountDetails) -> str:
    return f"@{details.username}" if details.username else f"{details.platform} account {details.account_id}"


def stix_bundle(cases: Iterable, details: Mapping[tuple[str, str], AccountDetails], decided_at: Mapping[str, str] | None = None,
                config: StixConfig = StixConfig()) -> stix2.Bundle:
    """A bundle of the given (confirmed) cases. ``details`` describes their accounts (missing
    ones are exported with their id alone); ``decided_at`` maps case ids to decision times."""
    decided_at = decided_at or {}
    marking = TLP[config.tlp]
    producer = stix2.Identity(id=_id("identity", "producer", config.producer), name=config.producer, identity_class="organization",
                              description="Producer of this bundle (hydrawatch: detection of returning banned accounts).",
                              created=PRODUCER_SINCE, modified=PRODUCER_SINCE,
                              object_marking_refs=[marking])
    common = {"created_by_ref": producer.id, "object_marking_refs": [marking]}
    accounts: dict[tuple[str, str], stix2.UserAccount] = {}

    def account(platform: str, account_id: str) -> stix2.UserAccount:
        key = (platform, account_id)
        if key not in accounts:
            accounts[key] = _user_account(details.get(key) or AccountDetails(platform, account_id), marking)
        return accounts[key]

    objects: list = []
    returns: list[tuple[tuple[str, str], tuple[str, str], stix2.Relationship]] = []
    for case in cases:
        subject = account(case.platform, case.subject_account_id)
        subject_details = details.get((case.platform, case.subject_account_id)) or AccountDetails(case.platform, case.subject_account_id)
        created = _when(case.created_at)
        decided = max(_when(decided_at.get(case.case_id) or case.updated_at), created)
        reasons = [e.get("description", "") for e in case.evidence if e.get("signal") not in _NOT_REASONS and e.get("description")]
        description = (case.summary or _label(subject_details)) + (
            "\nEvidence:\n" + "\n".join(f"- {r}" for r in reasons[:8]) if reasons else "")
        indicator = stix2.Indicator(
            id=_id("indicator", case.case_id), created=created, modified=decided, valid_from=decided,
            name=f"{_label(subject_details)}: confirmed {case.case_type.replace('_', ' ')}",
            description=description, indicator_types=INDICATOR_TYPES.get(case.case_type, ["malicious-activity"]),
            pattern=account_pattern(case.platform, case.subject_account_id), pattern_type="stix", pattern_version="2.1",
            confidence=max(0, min(100, round(case.probability * 100))),
            labels=[case.case_type, f"detector:{case.detector}", f"model:{case.detector_version}"], **common)
        objects.append(indicator)
        objects.append(stix2.Relationship(id=_id("relationship", case.case_id, "indicates-account"), created=created, modified=decided,
                                          relationship_type="related-to", source_ref=indicator.id, target_ref=subject.id, **common))
        if case.case_type == "returnee":
            for related in case.related_account_ids:
                old = account(case.platform, related)
                old_details = details.get((case.platform, related)) or AccountDetails(case.platform, related)
                link = stix2.Relationship(
                    id=_id("relationship", case.case_id, "returns", related), created=created, modified=decided,
                    relationship_type="related-to", source_ref=subject.id, target_ref=old.id,
                    description=f"{_label(subject_details)} is believed to be {_label(old_details)} returning after "
                                f"{_ENDING.get(old_details.status or '', 'suspension')} (returnee; p = {case.probability:.2f}; confirmed by a reviewer)",
                    confidence=max(0, min(100, round(case.probability * 100))), **common)
                objects.append(link)
                returns.append(((case.platform, related), (case.platform, case.subject_account_id), link))
    objects.extend(_lineage_groupings(returns, accounts, details, common))
    return stix2.Bundle(objects=[producer, marking, *accounts.values(), *objects], allow_custom=False)


def _lineage_groupings(returns, accounts, details, common) -> list[stix2.Grouping]:
    """One grouping per actor: the accounts joined by confirmed returns, oldest first."""
    parent: dict = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for old, new, _ in returns:
        parent[find(new)] = find(old)
    members: dict = defaultdict(list)
    links: dict = defaultdict(list)
    for old, new, link in returns:
        links[find(old)].append((old, new, link))
    groupings = []
    for root, chain in sorted(links.items()):
        successors = {old: new for old, new, _ in chain}
        olds = {old for old, _, _ in chain}
        news = {new for _, new, _ in chain}
        ordered = []
        for start in sorted(olds - news) or sorted(olds):
            key = start
            while key is not None and key not in ordered:
                ordered.append(key)
                key = successors.get(key)
        for key in sorted(olds | news):
            if key not in ordered:
                ordered.append(key)
        members[root] = ordered
        names = " -> ".join(_label(details.get(k) or AccountDetails(*k)) for k in ordered)
        times = [link.modified for _, _, link in chain]
        groupings.append(stix2.Grouping(
            id=_id("grouping", "lineage", *(f"{p}:{a}" for p, a in sorted(olds | news))), created=min(times), modified=max(times),
            name=f"returnee lineage: {names}", context="suspicious-activity",
            description="Accounts believed to be one actor, each returning after the one before was suspended or deleted "
                        "(every link confirmed by a reviewer).",
            object_refs=[accounts[k].id for k in ordered] + [link.id for _, _, link in chain], **common))
    return groupings


def bundle_json(bundle: stix2.Bundle) -> bytes:
    return bundle.serialize(pretty=True, ensure_ascii=False).encode("utf-8") + b"\n"
