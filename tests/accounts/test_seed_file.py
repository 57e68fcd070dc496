"""The seed file parser: one id or @handle per line, blank lines and '#' comments skipped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.accounts.batch import read_seed_file
from hydrawatch.core.errors import ConfigError

ENTRY = st.from_regex(r"@?[A-Za-z0-9_]{1,15}", fullmatch=True)
COMMENT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).map(lambda t: "#" + t)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.one_of(ENTRY, st.just("")), st.one_of(COMMENT, st.just("")), st.sampled_from(["", " ", "\t"])),
                max_size=12))
def test_entries_survive_comments_blanks_and_spaces(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("seeds") / "seeds.txt"
    path.write_text("\n".join(f"{pad}{entry}{pad} {comment}" for entry, comment, pad in lines), encoding="utf-8")
    assert read_seed_file(path) == [entry for entry, _, _ in lines if entry]


def test_line_separators_inside_a_comment_do_not_end_the_line(tmp_path):
    path = tmp_path / "seeds.txt"
    path.write_text("123 # from the report\u2028appendix B\r\n@abu_x\n", encoding="utf-8")
    assert read_seed_file(path) == ["123", "@abu_x"]


def test_a_missing_seed_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the seed file"):
        read_seed_file(tmp_path / "missing.txt")
