"""Rules across the two stacks, per environment: what the overlays use against what the
foundation stack file creates."""
