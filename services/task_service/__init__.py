"""The Task Service: the task API over DynamoDB, and the handoff of every change.

Modules, outside in:

- ``handlers``: the two Lambda entry points (read and write functions);
- ``api``: the routes, request validation and the translation of errors to answers;
- ``service``: the domain logic (queries and commands on tasks, the events they emit);
- ``store`` and ``handoff``: the AWS adapters (DynamoDB; Lambda invoke and the failure
  queue);
- ``config``, ``wiring``, ``errors``, ``validation``, ``observability``: what they say.
"""
