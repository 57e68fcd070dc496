"""A small hand-built platform around a suspended network, ingested through the real readers:
every account shows one way of standing to the network.

* ``s1`` (media), ``s2`` (amplifier), ``s3`` (shout-outs): network accounts, suspended: seeds;
* ``spam``: a spam account, suspended too (a noisy seed), that follows the news outlet;
* ``fan``: reposts s1 and s2, replies to s1 in support, is followed by s1 and s2, follows all
  three, links to Telegram, uses the network's hashtag;
* ``counter``: replies to s1, s2 and s3 again and again, arguing; quotes s1; follows s1 and s2;
* ``researcher``: follows all three seeds, quotes s2 in a research voice, reposts nobody;
* ``news``: quotes s1 reporting; followed only by the spam seed;
* ``newcomer``: no posts at all, named in a shout-out by s3;
* ``bystander``: reposts the news outlet, nothing else;
* ``recruit``: created during the data's window and protected, links to VK, follows s1 and is
  followed by s3; s1 reposts the fan and s2 replies to it (the network answering its own).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from hydrawatch.ingest import ingest_paths

IDS = {"s1": "101", "s2": "102", "s3": "103", "spam": "104", "fan": "201", "counter": "202", "researcher": "203",
       "news": "204", "newcomer": "205", "bystander": "206", "recruit": "207"}
HANDLES = {name: f"{name}_acct" for name in IDS}
SEEDS = ("s1", "s2", "s3", "spam")
NETWORK_SEEDS = ("s1", "s2", "s3")

SUPPORT = "may god protect you brother, spread the release, onward and steady"
ARGUMENT = "this is propaganda, think twice before you share it, talk to people who left"
NETWORK_TEXT = "new release from the relay media office, spread the word brothers, patience and light"


#: The recruit appeared (and locked its account) during the data's window; everyone else long before.
RECRUIT_CREATED = "2015-01-02T12:00:00.000Z"
FOLLOWERS = 10


def _user(name: str, bio: str = "") -> dict:
    recruit = name == "recruit"
    return {
        "id": IDS[name], "username": HANDLES[name], "name": name.title(), "description": bio or f"{name} bio",
        "location": "", "profile_image_url": f"https://pbs.twimg.com/profile_images/{IDS[name]}/a.jpg", "protected": recruit,
        "verified": False, "created_at": RECRUIT_CREATED if recruit else "2014-06-01T00:00:00.000Z",
        "public_metrics": {"followers_count": FOLLOWERS, "following_count": 5, "tweet_count": 3, "listed_count": 0},
    }


class _Tweets:
    def __init__(self) -> None:
        self.lines: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.next_id = 1000
        self.minute = 0

    def _base(self, name: str, text: str, entities: dict | None = None) -> dict:
        self.next_id += 1
        self.minute += 7
        tweet = {
            "id": str(self.next_id), "text": text, "author_id": IDS[name], "conversation_id": str(self.next_id), "lang": "en",
            "created_at": f"2015-01-{1 + self.minute // 1440:02d}T{(self.minute // 60) % 24:02d}:{self.minute % 60:02d}:00.000Z",
            "entities": entities or {}, "author": _user(name),
        }
        return tweet

    def post(self, name: str, text: str, hashtags: tuple[str, ...] = (), links: tuple[str, ...] = (), mentions: tuple[str, ...] = ()) -> dict:
        entities: dict = {}
        if hashtags:
            entities["hashtags"] = [{"start": 0, "end": len(h) + 1, "tag": h} for h in hashtags]
        if links:
            entities["urls"] = [{"start": 0, "end": 5, "url": "https://t.co/x", "expanded_url": url} for url in links]
        if mentions:
            entities["mentions"] = [{"start": 0, "end": 5, "username": HANDLES[m], "id": IDS[m]} for m in mentions]
        tweet = self._base(name, text, entities)
        self.lines.append(tweet)
        self.by_id[tweet["id"]] = tweet
        return tweet

    def later(self, days: int) -> None:
        """Move the clock on by whole days."""
        self.minute += days * 1440

    def repost(self, name: str, original: dict) -> None:
        target = next(n for n, i in IDS.items() if i == original["author_id"])
        tweet = self._base(name, f"RT @{HANDLES[target]}: {original['text']}",
                           {"mentions": [{"start": 3, "end": 4 + len(HANDLES[target]), "username": HANDLES[target], "id": IDS[target]}]})
        tweet["referenced_tweets"] = [{"type": "retweeted", **original}]
        self.lines.append(tweet)

    def reply(self, name: str, original: dict, text: str) -> None:
        target = next(n for n, i in IDS.items() if i == original["author_id"])
        tweet = self._base(name, f"@{HANDLES[target]} {text}",
                           {"mentions": [{"start": 0, "end": 1 + len(HANDLES[target]), "username": HANDLES[target], "id": IDS[target]}]})
        tweet["in_reply_to_user_id"] = IDS[target]
        tweet["referenced_tweets"] = [{"type": "replied_to", **original}]
        self.lines.append(tweet)

    def quote(self, name: str, original: dict, text: str) -> None:
        tweet = self._base(name, f"{text} https://t.co/q")
        tweet["referenced_tweets"] = [{"type": "quoted", **original}]
        self.lines.append(tweet)


def build(folder: Path) -> list[Path]:
    """Write the platform's tweets, compliance events and follows; returns the files."""
    t = _Tweets()
    s1 = [t.post("s1", NETWORK_TEXT + f" number {i}", hashtags=("NewRelease",), links=("https://justpaste.it/abc",)) for i in range(3)]
    s2 = [t.post("s2", NETWORK_TEXT + " the brothers are steady", hashtags=("NewRelease",)) for _ in range(2)]
    t.post("s3", "follow our brother's new account, spread it", mentions=("newcomer",))
    t.post("spam", "best deals every day, free followers", links=("http://best-deals.example/x",))
    news_post = t.post("news", "breaking: talks resume in the capital, more soon", links=("https://www.news.example/a",))
    for original in (s1[0], s2[0]):
        t.repost("fan", original)
    t.reply("fan", s1[1], SUPPORT)
    fan_post = t.post("fan", "onward and steady brothers, join us on telegram", hashtags=("NewRelease",), links=("https://t.me/fanchannel",))
    t.repost("s1", fan_post)
    t.reply("s2", fan_post, "well said brother")
    for original in (s1[0], s1[1], s1[2], s2[0], s2[1]):
        t.reply("counter", original, ARGUMENT)
    t.quote("counter", s1[2], "look how they lie to young people")
    t.post("counter", "real stories from people who left, ask first", hashtags=("RealStories",))
    t.quote("researcher", s2[1], "new paper on how this network recruits online")
    t.post("researcher", "our report on platform governance is out", links=("https://research.example.edu/p",))
    t.quote("news", s1[0], "the group released a new video today, our reporter explains")
    t.repost("bystander", news_post)
    t.later(3)  # the recruit posts on day 4, two days after it appeared
    t.post("recruit", "find us on the other side", links=("https://vk.com/relay_media",))
    tweets = folder / "tweets.jsonl"
    tweets.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in t.lines))
    events = folder / "compliance.jsonl"
    events.write_bytes(b"".join(
        orjson.dumps({"user_suspend": {"user": {"id": IDS[name]}, "event_at": "2015-01-20T00:00:00.000Z"}}) + b"\n" for name in SEEDS
    ))
    follows = [("fan", "s1"), ("fan", "s2"), ("fan", "s3"), ("s1", "fan"), ("s2", "fan"), ("counter", "s1"), ("counter", "s2"),
               ("researcher", "s1"), ("researcher", "s2"), ("researcher", "s3"), ("spam", "news"), ("spam", "bystander"),
               ("s1", "s2"), ("s2", "s1"), ("s3", "s1"), ("bystander", "news"), ("recruit", "s1"), ("s3", "recruit")]
    follows_csv = folder / "follows.csv"
    follows_csv.write_text("source_id,target_id\n" + "".join(f"{IDS[a]},{IDS[b]}\n" for a, b in follows))
    return [tweets, events, follows_csv]


def ingest(store, folder: Path) -> None:
    summary = ingest_paths(store, build(folder))
    assert not summary.failed, [f.message for f in summary.failed]
