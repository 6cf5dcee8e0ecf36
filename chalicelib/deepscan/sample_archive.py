"""Write a simulated archive straight to the logs bucket, laid out as the pipeline writes it: device lines dealt
to shards by a hash of the device (as Kinesis does with partition keys), objects of ``per_object`` records with
increasing sequence numbers. For benchmarks, tests and demos of the analyzer; never used by the product."""
from __future__ import annotations

import hashlib
from typing import Iterable

from ..pipeline import archive


def write(lines: Iterable[tuple[str, str]], shards: int, arrival: float, per_object: int = 1000) -> list[str]:
    """Returns the keys written."""
    dealt: dict[str, list[dict]] = {}
    for device, text in lines:
        n = int(hashlib.md5(device.encode()).hexdigest(), 16) % shards
        recs = dealt.setdefault(f"shardId-{n:012d}", [])
        recs.append({"seq": str(10**20 + len(recs)), "device": device, "arrival": arrival, "text": text})
    keys = []
    for shard, recs in sorted(dealt.items()):
        for i in range(0, len(recs), per_object):
            keys.append(archive.write(shard, recs[i:i + per_object]))
    return keys
