"""Properties of the file formats, on any input: CSV cells read back as written (with a
leading ``'`` only where a spreadsheet would otherwise run a formula), and a ThreatExchange
signal file reads back as the hashes written."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from hydrawatch.intel.cases import write_csv
from hydrawatch.intel.hashlists import HashListEntry, read_threatexchange, write_threatexchange

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_csv_cells_read_back_and_never_start_a_formula(texts):
    records = [{"summary": text} for text in texts]
    buffer = io.BytesIO()
    write_csv(records, buffer, columns=("summary",))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8"), newline="")))
    assert len(rows) == len(texts)
    for text, row in zip(texts, rows):
        cell = row["summary"]
        assert cell in (text, "'" + text)
        if cell != text:
            assert text[:1] in FORMULA_START
        elif text[:1] in FORMULA_START:
            assert text.startswith("@") or text.lstrip("+-").replace(".", "", 1).isdigit(), "only handles and numbers stay as they are"


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=20))
def test_threatexchange_file_round_trip(digests):
    entries = [HashListEntry(d.hex(), 90, "twitter", str(i), f"https://pbs.example/{i}.jpg", "case-1") for i, d in enumerate(digests)]
    buffer = io.BytesIO()
    written = write_threatexchange(entries, buffer)
    signals = read_threatexchange(buffer.getvalue().decode("ascii").splitlines())
    assert written == len({d.hex() for d in digests}) == len(signals)
    assert {s for _, s in signals} == {d.hex() for d in digests} and {t for t, _ in signals} <= {"pdq"}
