"""Where an account's links point, by kind of destination.

Networks that survive suspension keep their audience by pointing it elsewhere: a Telegram
channel (``t.me``, ``telegram.me``), another platform (VK, a Diaspora pod, a Friendica node),
or a content store that holds the release files (justpaste.it, archive.org, pastebin). News
outlets and researchers link to news sites and papers, which are none of these. The domain
lists are general (not tied to one data set); a domain matches itself and its subdomains.
"""

from __future__ import annotations

LINK_KINDS: dict[str, tuple[str, ...]] = {
    "telegram": ("t.me", "telegram.me", "telegram.org", "telegram.dog", "tx.me"),
    "content_store": (
        "justpaste.it", "jpst.it", "archive.org", "archive.is", "archive.ph", "archive.today", "pastebin.com",
        "dump.to", "sendvid.com", "files.fm", "mediafire.com", "top4top.net", "up4net.com", "ghostbin.com",
    ),
    "alt_platform": ("vk.com", "vk.me", "ok.ru", "diaspora", "friendica", "gab.com", "rocket.chat", "hoop.photo"),
}
KIND_NAMES = tuple(LINK_KINDS)


def link_kind(domain: str) -> str | None:
    """The kind of a link's domain (lower-case, without ``www.``), or None for other sites.
    ``diaspora`` and ``friendica`` match any domain containing the word: their pods and
    nodes have many names."""
    domain = domain.lower().removeprefix("www.")
    for kind, domains in LINK_KINDS.items():
        for known in domains:
            if "." not in known:
                if known in domain:
                    return kind
            elif domain == known or domain.endswith("." + known):
                return kind
    return None
