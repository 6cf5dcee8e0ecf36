"""CyberIncident application code: configuration, data layer, domain services and adapters."""
