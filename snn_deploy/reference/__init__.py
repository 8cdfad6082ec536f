"""Exact event-driven reference simulation, exact gradients and the trainer of the example models."""
