"""``make run ARGS=--simulate``: a device fleet streaming benign logs in real time, with the attack script
(SSH brute force that succeeds, port scan, LSASS dump, CloudTrail root login, exfiltration burst) a few
seconds after start and again every ``repeat_s``.
"""
from __future__ import annotations

import logging
import threading
import time

from .shipper import Shipper

log = logging.getLogger(__name__)


def run(stop: threading.Event, rate: float = 40.0, first_attack_s: float = 5.0, repeat_s: float = 600.0,
        seed: int = 11) -> None:
    from detectors.simulate import Fleet

    fleet = Fleet(seed=seed)
    shipper = Shipper()
    next_attack = time.time() + first_attack_s
    while not stop.is_set():
        tick = time.time()
        fleet.ts = tick
        batch = []
        for _ in range(int(rate)):
            fleet.ts += fleet.rnd.random() / rate
            batch.append(fleet.benign())
        if tick >= next_attack:
            fleet.ts = tick - 90  # the script spans 90 s of event time: it ends now, not in the future
            batch += list(fleet.attacks())
            next_attack = tick + repeat_s
            log.info("simulated attacks sent")
        try:
            shipper.send([(dev, line.encode()) for dev, line in batch])
        except Exception:
            log.exception("simulated fleet could not write to the stream")
        stop.wait(max(0.0, 1.0 - (time.time() - tick)))
