"""The Notification Service: turns handoff events into notifications, exactly once.

Lambda invokes :func:`notification_service.handler.handle_handoff_event`
asynchronously with one handoff event. The service validates it against the
contract, publishes one notification message per event id to SNS, and parks
events that can never succeed in the failure queue.

Modules: ``handler`` (the Lambda entry point), ``config`` (environment),
``logic`` (parse, deliver once, reject), ``publisher`` (SNS), ``failure_queue``
(SQS), ``observability`` (logger, metrics, tracer) and ``errors``.
"""
