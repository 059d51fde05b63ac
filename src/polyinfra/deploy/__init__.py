"""Delivery: Cloud Run Admin API client, replace + wait, multi-app rollout, and `pulumi` runs."""
