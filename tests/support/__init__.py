"""Test support: strategies, the reference evaluator and engine variants for the property tests."""
