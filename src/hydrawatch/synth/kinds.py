"""The vocabularies of the simulated world: groups, roles, mutation kinds, platforms, post
kinds and purposes.

They are stored as small integers in the numpy columns of the world and written out by name.
The order of each tuple is part of the on-disk truth (names, not numbers, are written), so
append new names at the end.
"""

from __future__ import annotations

GROUPS: tuple[str, ...] = (
    "network",
    "news",
    "religious",
    "political",
    "counter",
    "researcher",
    "lookalike",
    "parody",
    "spam",
    "ordinary",
)
NETWORK, NEWS, RELIGIOUS, POLITICAL, COUNTER, RESEARCHER, LOOKALIKE, PARODY, SPAM, ORDINARY = range(
    len(GROUPS)
)

ROLES: tuple[str, ...] = (
    "media",
    "scripture",
    "provincial",
    "amplifier",
    "shoutout",
    "recruiter",
    "fighter",
)
MEDIA, SCRIPTURE, PROVINCIAL, AMPLIFIER, SHOUTOUT, RECRUITER, FIGHTER = range(len(ROLES))
NO_ROLE = -1

MUTATIONS: tuple[str, ...] = (
    "digit_increment",
    "affix",
    "confusable",
    "typo",
    "new_handle_same_name",
    "new_handle_new_name",
)
(
    DIGIT_INCREMENT,
    AFFIX,
    CONFUSABLE,
    TYPO,
    NEW_HANDLE_SAME_NAME,
    NEW_HANDLE_NEW_NAME,
) = range(len(MUTATIONS))
NO_MUTATION = -1

LANGUAGES: tuple[str, ...] = ("ar", "en", "mixed")
ARABIC, ENGLISH, MIXED = range(len(LANGUAGES))

# Where network posts send their readers. ``justpaste`` and ``archive`` are content stores
# (release files), the others are the platforms the network migrated to.
PLATFORMS: tuple[str, ...] = ("telegram", "diaspora", "friendica", "vk", "justpaste", "archive")
TELEGRAM, DIASPORA, FRIENDICA, VK, JUSTPASTE, ARCHIVE = range(len(PLATFORMS))

# How an account came to exist: there when the window opened, an ordinary sign-up during it, a
# first-time network member joining during it, a returnee (a new account of a suspended
# person), or a parody or look-alike decoy created after a suspension.
JOINED: tuple[str, ...] = ("initial", "signup", "recruit", "return", "mimic")
JOINED_INITIAL, JOINED_SIGNUP, JOINED_RECRUIT, JOINED_RETURN, JOINED_MIMIC = range(len(JOINED))

# How an account's life ended within the simulated window.
END_NONE, END_SUSPENDED, END_DELETED = 0, 1, 2

# Post kinds as the Twitter API names the reference type.
ORIGINAL, RETWEET, QUOTE, REPLY = range(4)
REFERENCE_TYPES: tuple[str, ...] = ("", "retweeted", "quoted", "replied_to")

# What a post is for; decides the template family the text is drawn from.
PURPOSES: tuple[str, ...] = (
    "general",
    "release",
    "migration",
    "promotion",
    "self_announce",
    "question",
    "answer",
    "counter_reply",
    "news_quote",
    "chat_reply",
    "retweet",
    "spam",
    "teaser",
)
(
    GENERAL,
    RELEASE,
    MIGRATION,
    PROMOTION,
    SELF_ANNOUNCE,
    QUESTION,
    ANSWER,
    COUNTER_REPLY,
    NEWS_QUOTE,
    CHAT_REPLY,
    RETWEET_PURPOSE,
    SPAM_PURPOSE,
    TEASER,
) = range(len(PURPOSES))

# Sentinel for "never" in int64 millisecond columns.
NEVER_MS = 2**62

# Out-link kinds of a post: a platform code above, or one of these ordinary web links.
NO_LINK = -1
LINK_NEWS, LINK_SPAM, LINK_RESEARCH, LINK_COUNTER, LINK_GENERIC = range(len(PLATFORMS), len(PLATFORMS) + 5)
