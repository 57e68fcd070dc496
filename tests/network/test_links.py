"""The out-link extractor: a table of URLs and where they lead, short links included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hydrawatch.network.links import CONTENT_STORE, PLATFORM, LinkClassifier, LinkResolver, classify_url

CASES = [
    # url, platform, destination
    ("https://t.me/SomeChannel", "telegram", "t.me/somechannel"),
    ("http://telegram.me/maghrebiwitness", "telegram", "t.me/maghrebiwitness"),
    ("https://telegram.dog/news_room/123", "telegram", "t.me/news_room"),
    ("https://t.me/s/channel_x?before=5", "telegram", "t.me/channel_x"),
    ("https://telegram.me/joinchat/A-1WAgCqKenUKDsMQxr3Lg", "telegram", "t.me/joinchat/A-1WAgCqKenUKDsMQxr3Lg"),
    ("https://t.me/+AbCdEf123", "telegram", "t.me/+AbCdEf123"),
    ("tg://resolve?domain=Some_Channel", "telegram", "t.me/some_channel"),
    ("https://vk.com/Karim_Sarim", "vk", "vk.com/karim_sarim"),
    ("https://m.vk.com/club12345", "vk", "vk.com/club12345"),
    ("https://vk.com/wall-1234_56", "vk", "vk.com/club1234"),
    ("https://diaspora.example-pod.org/u/theroseloj", "diaspora", "diaspora.example-pod.org/u/theroseloj"),
    ("https://pod.example/people/0123456789abcdef0123456789abcdef", "diaspora", "pod.example/people/0123456789abcdef0123456789abcdef"),
    ("https://friendica.example-node.net/profile/sahilpress", "friendica", "friendica.example-node.net/profile/sahilpress"),
    ("https://justpaste.it/MESSAGETOTHETRUTHFUL", "justpaste", "justpaste.it/MESSAGETOTHETRUTHFUL"),
    ("http://www.justpaste.it/abc?x=1#y", "justpaste", "justpaste.it/abc"),
    ("https://archive.org/details/rimaldispatch-015", "archive", "archive.org/details/rimaldispatch-015"),
    ("https://archive.org/download/item-1/file.mp4", "archive", "archive.org/details/item-1"),
    ("https://pastebin.com/raw/AbC123", "pastebin", "pastebin.com/AbC123"),
]
NOT_DESTINATIONS = [
    "https://www.reddit.com/u/someone",
    "https://www.facebook.com/profile/someone",
    "https://twitter.com/account/suspended",
    "https://t.me/share/url?url=x",
    "https://vk.com/away.php?to=http://x",
    "https://www.dailyledger.example/world/2015/01/abc",
    "https://archive.org/",
    "https://t.me/",
    "not a url",
    "",
]


@pytest.mark.parametrize(("url", "platform", "destination"), CASES)
def test_destinations(url, platform, destination):
    found = classify_url(url)
    assert found is not None, url
    assert (found.platform, found.destination) == (platform, destination)
    assert found.kind == (CONTENT_STORE if platform in ("justpaste", "archive", "pastebin") else PLATFORM)
    assert found.url == "https://" + destination and found.rule


@pytest.mark.parametrize("url", NOT_DESTINATIONS)
def test_not_destinations(url):
    assert classify_url(url) is None


def test_short_links_are_followed_through_the_resolver_table(tmp_path):
    table = tmp_path / "shortlinks.csv"
    table.write_text("short_url,expanded_url\nhttps://shrt.example/abc,https://qk.example/def\nhttps://qk.example/def,https://telegram.me/Final\n")
    classify = LinkClassifier(LinkResolver.from_csv(table))
    found = classify("http://shrt.example/abc/")  # scheme and trailing slash do not matter
    assert found.destination is not None and found.destination.destination == "t.me/final"
    assert found.hops == ("https://qk.example/def", "https://telegram.me/Final")
    unknown = classify("https://bit.ly/zzz")
    assert unknown.destination is None and unknown.unresolved_short_link
    plain = classify("https://example.com/page")
    assert plain.destination is None and not plain.unresolved_short_link


def test_resolver_loops_stop():
    classify = LinkClassifier(LinkResolver({"https://a.example/1": "https://b.example/2", "https://b.example/2": "https://a.example/1"}))
    assert classify("https://a.example/1").destination is None


def test_resolver_table_needs_its_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to\na,b\n")
    with pytest.raises(ValueError, match="short_url,expanded_url"):
        LinkResolver.from_csv(bad)


@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    found = classify_url(text)
    assert found is None or found.destination


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,30}", fullmatch=True))
def test_telegram_names_fold_case_and_domain(name):
    assert classify_url(f"https://telegram.me/{name}").destination == classify_url(f"https://t.me/{name.lower()}").destination == f"t.me/{name.lower()}"


def test_twarc_export_resolves_its_own_tco_links(tmp_path):
    import gzip

    import orjson

    flattened = {"id": "1", "entities": {"urls": [{"url": "https://t.co/a", "expanded_url": "https://t.me/Channel_A"}]},
                 "author": {"id": "9", "entities": {"url": {"urls": [{"url": "https://t.co/p", "expanded_url": "https://vk.com/page_p"}]}}}}
    page = {"data": [{"id": "2", "entities": {"urls": [{"url": "https://t.co/b", "expanded_url": "https://justpaste.it/rel_b"}]}}],
            "includes": {"users": [{"id": "8", "entities": {"description": {"urls": [{"url": "https://t.co/d", "expanded_url": "https://t.me/desc_d"}]}}}]}}
    export = tmp_path / "tweets.jsonl.gz"
    with gzip.open(export, "wb") as out:
        out.write(orjson.dumps(flattened) + b"\n" + b"not json, expanded_url\n" + orjson.dumps(page) + b"\n")
    table = tmp_path / "short.csv"
    table.write_text("short_url,expanded_url\nhttps://bit.ly/q,https://t.me/from_csv\n")
    classify = LinkClassifier(LinkResolver.from_files([export, table]))
    found = {url: classify(url).destination.destination for url in ("https://t.co/a", "http://t.co/p", "https://t.co/b", "https://t.co/d", "https://bit.ly/q")}
    assert found == {"https://t.co/a": "t.me/channel_a", "http://t.co/p": "vk.com/page_p", "https://t.co/b": "justpaste.it/rel_b",
                     "https://t.co/d": "t.me/desc_d", "https://bit.ly/q": "t.me/from_csv"}
