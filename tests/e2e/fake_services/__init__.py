"""Tiny stand-ins for the services, run by the fixture assembly's functions.

They exercise the local stage's runtime (environment, module state, errors,
timeouts, the Invoke API and the destinations) independently of the real
services, which the end-to-end tests run through the real templates.
"""
