"""Adapters for HTTP: request helpers, guards, rendering, the pages and the JSON API."""
