"""JSON API handlers: each takes the Chalice request (and the authenticated user) and returns data."""
