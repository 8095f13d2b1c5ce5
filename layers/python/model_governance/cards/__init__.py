"""Model card content: AWS's limits, names, and the pure carry-forward rules."""
