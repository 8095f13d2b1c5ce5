"""Use cases: each ties the pure rules to the adapters for one kind of event."""
