"""CDK constructs, one per concern, and the stack that composes them."""
