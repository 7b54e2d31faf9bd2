"""Generated webhook bodies for the fuzz tests of every inbound webhook (marketplaces, couriers):
raw bytes, random JSON, or a real push with one field replaced by a value of the wrong kind."""

from __future__ import annotations

import json

from hypothesis import strategies as st

text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(), text,
    st.lists(st.integers(), max_size=3), st.dictionaries(text, st.integers(), max_size=2),
)


def fuzz_body(data, payload: dict, *, inner: dict | None = None) -> bytes:
    """A body drawn from `data`: raw bytes, random JSON, or `payload` with one key of it (or, half
    the time, of `inner`, a dict inside it) set to a generated value."""
    kind = data.draw(st.sampled_from(["mutated", "mutated", "random-json", "raw"]))
    if kind == "raw":
        return data.draw(st.binary(max_size=300))
    if kind == "random-json":
        return json.dumps(data.draw(json_values)).encode("utf-8", "surrogatepass")
    target = inner if inner is not None and data.draw(st.booleans()) else payload
    target[data.draw(st.sampled_from(sorted(target)))] = data.draw(scalar)
    return json.dumps(payload).encode("utf-8", "surrogatepass")
