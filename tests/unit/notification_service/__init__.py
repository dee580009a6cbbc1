"""Unit tests of the Notification Service, with moto in place of AWS."""
