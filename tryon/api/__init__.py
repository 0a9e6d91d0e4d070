"""The REST API for shoppers' widgets and host shops' own front ends (DRF)."""
