"""Equivalence checks: spike-time metrics against the reference, bit-exactness against vendor engines, reports."""
