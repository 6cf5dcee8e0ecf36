"""Analyses that need the whole range at once (deep scans of the archive): beaconing, indicator sweeps and
long-window first-seen, plus the scan loop that feeds archived records through them and the detection engine."""
from .beaconing import Beaconing
from .firstseen import LongFirstSeen
from .indicators import IndicatorSweep
from .scan import ArchiveScan

__all__ = ["ArchiveScan", "Beaconing", "IndicatorSweep", "LongFirstSeen"]
