"""Adapters for the streaming half: the Kinesis handler, archive, dead-letter queue, schedule, shipper, local stream."""
