"""The generator child process yields exactly the in-process rows, and reports its failures."""

from __future__ import annotations

import pytest

from zhongtai.workload.pipeline import ChunkStream, GeneratorFailed, as_tuples

ARGS = {"stores": 4, "members": 80, "orders": 400, "seed": 21}


def test_the_child_sends_the_same_chunks_and_tallies_as_one_process():
    local = ChunkStream(ARGS, parallel=False)
    expected = [(as_tuples(rows), orders) for rows, orders in local]
    child = ChunkStream(ARGS, parallel=True)
    assert list(child) == expected
    assert child.hits == local.hits and child.eligible == local.eligible
    assert sum(orders for _, orders in expected) == ARGS["orders"]


@pytest.mark.parametrize("parallel", [False, True])
def test_a_failing_generator_is_reported_with_its_error(parallel):
    stream = ChunkStream({**ARGS, "stores": 0}, parallel=parallel)
    with pytest.raises(GeneratorFailed, match="stores must be at least 1"):
        list(stream)
