"""Analysis: pure functions over tables and arrays (no IO, no printing)."""
