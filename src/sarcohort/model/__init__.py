"""Canonical cohort data model: schema, survival data and validation."""
