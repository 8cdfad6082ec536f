"""Target specs and the mapping of IR graphs to a target's fixed-point parameters (one subpackage per target)."""
