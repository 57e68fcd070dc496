from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.core.model import AccountRef, EntityKind, Post, PostKind, ProfileVersion
from hydrawatch.sources import ProblemLog, detect
from hydrawatch.sources.kaggle import KaggleIsisSource, text_entities

REDUCED = "name,username,tweetid,time,tweets\n"
FULL = "name,username,description,location,followers,numberstatuses,time,tweets\n"


def rows_csv(header: str, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return header + buffer.getvalue()


def test_reduced_layout_parses_entities_and_kinds(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text(
        rows_csv(REDUCED, [
            ["Abu X", "abu_x12", "1", "1/6/2015 21:07", "RT @Other_One: new bulletin https://justpaste.it/ab1 #Tag"],
            ["Abu X", "abu_x12", "2", "1/6/2015 21:09", "@asker yes,\nsee https://t.co/xyz."],
            ["Abu X", "abu_x12", "3", "1/7/2015 08:00", "إصدار جديد #وسم_عربي"],
        ]),
        encoding="utf-8",
    )
    assert detect(path).name == "kaggle-isis-csv"
    problems = ProblemLog()
    records = list(KaggleIsisSource().read(path, problems))
    assert problems.count == 0
    posts = [r for r in records if isinstance(r, Post)]
    assert [p.kind for p in posts] == [PostKind.REPOST, PostKind.REPLY, PostKind.ORIGINAL]
    assert posts[0].account_id == "@abu_x12" and posts[0].referenced_account_id == "@other_one"
    assert posts[1].in_reply_to_account_id == "@asker" and posts[1].source.line == 3
    assert {(e.kind, e.value) for e in posts[0].entities} == {
        (EntityKind.MENTION, "Other_One"), (EntityKind.URL, "https://justpaste.it/ab1"), (EntityKind.HASHTAG, "Tag")}
    assert (EntityKind.URL, "https://t.co/xyz") in {(e.kind, e.value) for e in posts[1].entities}
    assert (EntityKind.HASHTAG, "وسم_عربي") in {(e.kind, e.value) for e in posts[2].entities}
    assert posts[2].source.line == 5  # the quoted newline in row 2 moves line numbers on
    assert {r.account_id for r in records if isinstance(r, AccountRef)} == {"@other_one", "@asker"}
    assert {r.display_name for r in records if isinstance(r, ProfileVersion)} == {"Abu X"}


def test_full_layout_has_profile_fields_and_stable_ids(tmp_path):
    path = tmp_path / "k.csv"
    rows = [["N", "user1", "a bio", "somewhere", "120", "55", "2/1/2016 10:00", "same text"]] * 2
    path.write_text(rows_csv(FULL, rows))
    records = list(KaggleIsisSource().read(path, ProblemLog()))
    posts = [r for r in records if isinstance(r, Post)]
    assert len({p.post_id for p in posts}) == 2  # identical rows stay two posts
    profile = next(r for r in records if isinstance(r, ProfileVersion))
    assert (profile.bio, profile.followers_count, profile.post_count) == ("a bio", 120, 55)
    again = [r.post_id for r in KaggleIsisSource().read(path, ProblemLog()) if isinstance(r, Post)]
    assert again == [p.post_id for p in posts]


def test_text_entities_ignore_emails_and_trailing_punctuation():
    found = {(e.kind, e.value) for e in text_entities("mail me a@b.com, see https://archive.org/details/x). #123 #ok")}
    assert found == {(EntityKind.URL, "https://archive.org/details/x"), (EntityKind.HASHTAG, "ok")}


def test_real_isis_fanboy_file(shared):
    path = shared("isis-fanboy/IsisFanboy.csv")
    problems = ProblemLog()
    records = list(KaggleIsisSource().read(path, problems))
    posts = [r for r in records if isinstance(r, Post)]
    # 17,392 CSV records: 17,391 tweets and a final record cut short after its first field.
    assert len(posts) == 17_391
    assert problems.count == 1 and problems.kept[0].source.line == 17_393
    assert "cut short" in problems.kept[0].reason
    assert len({p.account_id for p in posts}) == 112
    assert len({p.post_id for p in posts}) == 17_391
    kinds = {e.kind for p in posts for e in p.entities}
    assert kinds == {EntityKind.MENTION, EntityKind.HASHTAG, EntityKind.URL}
    assert sum(p.kind is PostKind.REPOST for p in posts) > 1000


garbage = st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), garbage), min_size=1, max_size=20))
def test_garbage_lines_never_lose_good_rows(tmp_path, layout):
    """Arbitrary bytes between rows (stray quotes included) cost only their own lines."""
    lines, expected = [REDUCED.strip().encode()], []
    for index, item in enumerate(layout):
        if item is None:
            # Good rows include a quoted field with a newline, as the real data set does.
            lines.append(f'N,user{index},{index},1/6/2015 21:07,"text {index}\nsecond line"'.encode())
            expected.append(f"@user{index}")
        else:
            lines.append(item)
    path = tmp_path / "k.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records = list(KaggleIsisSource().read(path, ProblemLog()))
    authors = [r.account_id for r in records if isinstance(r, Post) and r.text.endswith("second line")]
    assert [a for a in authors if a in expected] == expected
