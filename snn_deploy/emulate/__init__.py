"""Bit-accurate integer emulators, one module per target, batched over samples with numpy."""
