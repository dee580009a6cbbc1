"""Tests of the benchmarks and the reliability drill (bench/)."""
