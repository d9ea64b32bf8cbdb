"""PNG encoding of a figure's pixels (``_style.png_bytes``)."""

from __future__ import annotations

import numpy as np


def test_png_bytes_of_an_rgba_view_as_of_a_contiguous_copy():
    """The PNG rows are filled straight from the RGBA buffer's view: the same bytes as from a
    contiguous copy of its RGB (oracle: zlib over the rows built the plain way)."""
    import struct
    import zlib

    from sarcohort.report.plots._style import png_bytes

    rgba = np.random.default_rng(5).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    rgb = rgba[..., :3]
    got = png_bytes(rgb, 300)
    rows = np.hstack([np.zeros((37, 1), np.uint8), np.ascontiguousarray(rgb).reshape(37, -1)])
    data = zlib.compress(rows.tobytes(), 3)
    at = got.index(b"IDAT")
    assert got[at - 4:at] == struct.pack(">I", len(data))
    assert got[at + 4:at + 4 + len(data)] == data
    assert png_bytes(np.ascontiguousarray(rgb), 300) == got
