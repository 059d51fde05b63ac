"""Kustomize patch rules, checked on the source overlays (not the rendered output)."""
