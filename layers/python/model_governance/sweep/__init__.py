"""The account sweep: pure rules over an inventory of the account, the digest, and schedule periods."""
