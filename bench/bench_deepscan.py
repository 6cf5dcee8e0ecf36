"""The batch analyzer over a simulated archive in (moto) S3: MB/s of gzip archive and events/s with one worker
and with every core, beside the detection-only figure and the read-and-gunzip ceiling of the same run.

The archive is the pipeline's layout (4 shards, objects of 1,000 records). moto runs in its own process so the
analyzer does not share an interpreter with it; real S3 adds network latency that several workers hide better.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LINES = int(os.environ.get("BENCH_SCAN_LINES", "200000"))


def start_moto() -> subprocess.Popen:
    from chalicelib import local_stack

    port = local_stack.free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1",
                       "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                       "LOGS_BUCKET": "bench-logs"})
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc


def main() -> None:
    from chalicelib import aws, config
    from chalicelib.deepscan import parallel, sample_archive
    from chalicelib.deepscan.archive_reader import list_objects, read_object
    from detectors.parsers import NotEvent, parse_line
    from detectors.pipeline import Detector
    from detectors.simulate import lines as simulated

    # as in the analyzer image: rules compiled ahead, so each worker process loads them in a fraction of a second
    subprocess.run([sys.executable, "-m", "detectors", "compile", "--rules", "detectors/rules/sigma", "--output",
                    "detectors/rules/compiled.rules.pickle"], cwd=ROOT, check=True, capture_output=True)
    moto = start_moto()
    try:
        config.reset()
        aws.reset()
        aws.client("s3").create_bucket(Bucket="bench-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        now = time.time()
        data = simulated(LINES, seed=3, start=now - 86400)
        sample_archive.write(data, shards=4, arrival=now, per_object=1000)
        start, end = (datetime.fromtimestamp(now - 60, timezone.utc), datetime.fromtimestamp(now + 60, timezone.utc))
        objects = list_objects(start, end)
        mb = sum(o["size"] for o in objects) / 1e6

        det = Detector()
        events = [e for dev, ln in data for e in parse_line(ln, device=dev) if not isinstance(e, NotEvent)]
        t0 = time.perf_counter()
        det.process(events)
        detect = len(events) / (time.perf_counter() - t0)
        print(json.dumps({"bench": "deepscan_detection_only", "events": len(events), "detect_eps": int(detect)}), flush=True)

        t0 = time.perf_counter()
        n = sum(1 for o in objects for _ in read_object(o["key"]))
        secs = time.perf_counter() - t0
        print(json.dumps({"bench": "deepscan_read_ceiling", "objects": len(objects), "archive_mb": round(mb, 2),
                          "records": n, "mb_per_s": round(mb / secs, 2), "records_per_s": int(n / secs)}), flush=True)

        spec = {"rules": {"mode": "all"}, "indicators": {"ips": ["203.0.113.66"]}}
        for workers in sorted({1, parallel.cores()}):
            t0 = time.perf_counter()
            out = parallel.run(spec, start, end, objects, workers=workers)
            secs = time.perf_counter() - t0
            eps = out["events"] / secs
            print(json.dumps({"bench": "deepscan_analyzer", "workers": out["workers"], "cores": parallel.cores(),
                              "events": out["events"], "findings": len(out["alerts"]), "seconds": round(secs, 2),
                              "mb_per_s": round(mb / secs, 2), "events_per_s": int(eps),
                              "events_per_s_per_worker": int(eps / out["workers"]),
                              "vs_detection_only": round(eps / detect, 3)}), flush=True)
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
