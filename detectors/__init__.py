"""CyberIncident detection engine: a pure library shared by the Kinesis pipeline and the batch analyzer.

It never imports chalicelib, boto3, pymysql or chalice; state and output go through the small
interfaces in :mod:`detectors.state` and :mod:`detectors.alerts`.
"""
