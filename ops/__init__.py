"""Commands against a deployed stack (make ledger, make backfill)."""
