"""Unit tests: each service in-process, AWS faked with moto."""
