"""Pooling the returnee evaluation over several worlds."""

from __future__ import annotations

import pytest

from hydrawatch.evaluation.returnees import pooled


def _report(returns: int, mrr: float, kinds: dict[str, tuple[int, float]], flagged: int, true_flags: int, recall_cands: float) -> dict:
    return {"true_returns": returns, "mrr": mrr, "returns_by_kind": {k: n for k, (n, _) in kinds.items()},
            "mrr_by_kind": {k: m for k, (_, m) in kinds.items()}, "flagged": flagged, "true_flags": true_flags,
            "candidate_recall": recall_cands}


def test_pooled_weighs_each_world_by_its_returns():
    a = _report(100, 0.99, {"typo": (60, 1.0), "new_handle_new_name": (40, 0.975)}, flagged=95, true_flags=94, recall_cands=1.0)
    b = _report(300, 0.95, {"typo": (100, 0.98), "affix": (200, 0.935)}, flagged=290, true_flags=280, recall_cands=0.97)
    out = pooled([a, b])
    assert out["true_returns"] == 400 and out["worlds"] == 2
    assert out["mrr"] == pytest.approx((100 * 0.99 + 300 * 0.95) / 400)
    assert out["mrr_by_kind"] == pytest.approx({"affix": 0.935, "new_handle_new_name": 0.975, "typo": (60 * 1.0 + 100 * 0.98) / 160})
    assert out["precision"] == pytest.approx(374 / 385) and out["recall"] == pytest.approx(374 / 400)
    assert out["candidate_recall"] == pytest.approx((100 + 300 * 0.97) / 400)
    assert (out["mrr_lowest_world"], out["mrr_highest_world"], out["worlds_below_0.98"]) == (0.95, 0.99, 1)


def test_export_view_drops_every_account_creation_time_and_keeps_the_rest(tmp_path):
    import json

    from hydrawatch.evaluation.returnees import VIEWS, WorldSpec, _tweets_view

    author = {"id": "1", "username": "abu_1", "name": "Abu", "created_at": "2014-12-14T05:06:17.388Z", "description": "bio"}
    replied = {"id": "2", "username": "other", "created_at": "2013-01-01T00:00:00.000Z"}
    lines = [
        {"id": "10", "text": "a", "created_at": "2015-01-01T00:00:03.453Z", "author_id": "1", "author": author},
        {"id": "11", "text": "b", "created_at": "2015-01-02T00:00:00.000Z", "author_id": "1", "author": author,
         "in_reply_to_user": replied,
         "referenced_tweets": [{"type": "retweeted", "id": "9", "created_at": "2014-12-31T00:00:00.000Z", "author": replied}]},
    ]
    source = tmp_path / "tweets.jsonl"
    source.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines) + "\n", encoding="utf-8")
    target = _tweets_view(source, tmp_path / "export.jsonl", drop=VIEWS["export"][1])
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 2
    # the posts keep their own times; no user object keeps a creation time; nothing else changes
    assert [t["created_at"] for t in out] == ["2015-01-01T00:00:03.453Z", "2015-01-02T00:00:00.000Z"]
    assert out[1]["referenced_tweets"][0]["created_at"] == "2014-12-31T00:00:00.000Z"
    strip = lambda user: {k: v for k, v in user.items() if k != "created_at"}  # noqa: E731
    assert out[0] == {**lines[0], "author": strip(author)}
    assert out[1] == {**lines[1], "author": strip(author), "in_reply_to_user": strip(replied),
                      "referenced_tweets": [{**lines[1]["referenced_tweets"][0], "author": strip(replied)}]}
    # deterministic
    assert _tweets_view(source, tmp_path / "again.jsonl", drop=VIEWS["export"][1]).read_bytes() == target.read_bytes()
    # the bare view drops the profile pictures too
    bare = _tweets_view(source, tmp_path / "bare.jsonl", drop=VIEWS["bare"][1])
    assert [json.loads(line) for line in bare.read_text(encoding="utf-8").splitlines()] == out  # these users have no picture
    lines[0]["author"] = {**author, "profile_image_url": "https://img/a.jpg"}
    source.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    bare = _tweets_view(source, tmp_path / "bare.jsonl", drop=("created_at", "profile_image_url"))
    assert json.loads(bare.read_text(encoding="utf-8"))["author"] == strip(author)
    # the minimal view keeps only what a CSV of tweets keeps: handle, display name, the post
    lines[0]["author"] = {**author, "profile_image_url": "https://img/a.jpg", "url": "https://t.co/x",
                          "public_metrics": {"followers_count": 3}}
    source.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    minimal = json.loads(_tweets_view(source, tmp_path / "minimal.jsonl", drop=VIEWS["minimal"][1]).read_text(encoding="utf-8"))
    assert minimal["author"] == {"id": "1", "username": "abu_1", "name": "Abu"}
    assert {k: v for k, v in minimal.items() if k != "author"} == {k: v for k, v in lines[0].items() if k != "author"}
    assert WorldSpec(seed=1, view="export").name.endswith("-export")
    assert WorldSpec(seed=1, view="minimal").name.endswith("-minimal")
    assert WorldSpec(seed=1, view="minimal-sample").name.endswith("-minimal-sample")
    with pytest.raises(ValueError):
        WorldSpec(seed=1, view="nothing")
