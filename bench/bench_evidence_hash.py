"""Evidence hashing: the arrival handler's streaming SHA-256 of a 1 GB object in (moto) S3.

Baselines of the same run: ``sha256sum`` and Python's hashlib on the same bytes from a local file.
moto runs in its own process so the peak RSS reported is the hashing process's own.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZE_MB = int(os.environ.get("BENCH_HASH_MB", "1024"))


def main() -> None:
    from chalicelib.local_stack import free_port

    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1"})
        time.sleep(1.5)
        from chalicelib import aws, storage

        s3 = aws.client("s3")
        s3.create_bucket(Bucket=storage.bucket(), CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with tempfile.NamedTemporaryFile(delete=False) as f:
            block = os.urandom(1024 * 1024)
            for _ in range(SIZE_MB):
                f.write(block)
            path = f.name
        s3.upload_file(path, storage.bucket(), "evidencias/1/bench/big.bin")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        digest, size = storage.sha256_of("evidencias/1/bench/big.bin")
        handler_s = time.perf_counter() - t0
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        out = subprocess.run(["sha256sum", path], capture_output=True, text=True, check=True).stdout.split()[0]
        sum_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                h.update(chunk)
        local_s = time.perf_counter() - t0
        assert digest == out == h.hexdigest() and size == SIZE_MB * 1024 * 1024
        mb = size / 1024 / 1024
        print(json.dumps({"bench": "evidence_hash", "object_mb": SIZE_MB,
                          "handler_mb_s": round(mb / handler_s, 1), "sha256sum_mb_s": round(mb / sum_s, 1),
                          "hashlib_local_mb_s": round(mb / local_s, 1),
                          "handler_vs_sha256sum": round(sum_s / handler_s, 2),
                          "peak_rss_mb": round(rss_after / 1024, 1),
                          "rss_growth_while_hashing_mb": round((rss_after - rss_before) / 1024, 1)}))
        os.unlink(path)
    finally:
        moto.terminate()


if __name__ == "__main__":
    main()
