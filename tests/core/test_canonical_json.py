"""The ledger hashes RFC 8785 canonical JSON; the fast path must give exactly the bytes of the reference library."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.core.events import canonical_json

SAFE = 2**53 - 1
keys = st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=20
)


@given(values)
@settings(max_examples=400)
def test_fast_canonical_json_equals_rfc8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value).decode()


def test_values_outside_the_fast_path_still_follow_rfc8785() -> None:
    for value in ({"amount": 1.5}, {"😀": 1, "\ue000": 2}, [0.1, 1e21]):
        assert canonical_json(value) == rfc8785.dumps(value).decode()


def test_control_characters_and_quotes_are_escaped_like_rfc8785() -> None:
    value = {"s": 'a"b\\c\x00\x1f\b\t\n\f\r\x7f\u2028'}
    assert canonical_json(value) == rfc8785.dumps(value).decode()
