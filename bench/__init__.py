"""Benchmarks: synthetic registry data (bench.generate) and the measured table (bench.run)."""
