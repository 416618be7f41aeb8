"""Realistic, reproducible demo data at any size, for trying the app and for the benchmarks."""
