"""Local replay: the synthesized stack on an in-memory AWS (moto), for the demo and end-to-end tests."""
