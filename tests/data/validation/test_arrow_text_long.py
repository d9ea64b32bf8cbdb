"""Arrow text of texts longer than every missing token (identifiers) skips the token
look-up: the same text as the look-up gives (and as :func:`cell_text`)."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sarcohort.data.validation._coerce import _MISSING_ARROW, _arrow_text_each, cell_text

POOLS = [
    ["SYN-0000001", " syn-0000002 ", "P00012", "İdentity", "Straße", "ＮＵＬＬＸ"],
    ["SYN-0000001", None, "\tnulls\t", "n/a/b"],
    ["SYN-0000001", " NULL ", "N/A", "nan", "."],  # tokens: the look-up path
    [None, None],
    ["", "  "],
    [],
]


def _looked_up(a):
    a = pc.utf8_trim_whitespace(a)
    missing = pc.is_in(pc.utf8_lower(a), value_set=pa.array(_MISSING_ARROW, type=pa.string()))
    return pc.if_else(missing, pa.scalar(None, pa.string()), a)


@pytest.mark.parametrize("pool", POOLS)
def test_same_as_lookup(pool):
    a = pa.array(pool, type=pa.string())
    got = _arrow_text_each(a)
    assert got.equals(_looked_up(a))
    assert got.to_pylist() == [cell_text(v) for v in pool]
