"""Unit tests of the Task Service."""
