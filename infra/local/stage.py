"""Start and stop the whole local stage: moto, the Lambda service, the API gateway."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from infra.local.aws import (
    FAKE_CREDENTIALS,
    client,
    create_resources,
    reset_moto,
    start_moto_server,
)
from infra.local.errors import TemplateError
from infra.local.faults import FaultInjector, FaultPlan
from infra.local.gateway import RouteTable, start_gateway
from infra.local.lambda_service import LambdaService, start_lambda_server
from infra.local.runtime import (
    RUNTIME_DIR,
    FunctionRuntime,
    LogSink,
    _log_to_stderr,
    task_root,
)
from infra.local.servers import BackgroundServer
from infra.local.templates import (
    FunctionSpec,
    LocalAccount,
    StackTemplate,
    StageDescription,
    describe_stage,
)

logger = logging.getLogger(__name__)

STAGE = "local"
# moto's default account; its ARNs and queue URLs carry it.
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# Variables a worker keeps from the parent's environment; everything else comes
# from the template, as in Lambda, so one function's settings cannot leak.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


@dataclass(frozen=True)
class StageOptions:
    """How to run the stage. Port 0 picks a free port."""

    api_port: int = 0
    aws_port: int = 0
    lambda_port: int = 0
    time_factor: float = 1.0
    region: str | None = None
    async_concurrency: int = 2
    function_concurrency: int = 4
    faults: Mapping[str, FaultPlan] = field(default_factory=dict)
    seed: int = 0
    warm: bool = True


@dataclass(frozen=True)
class StageOutputs:
    """Where everything runs: what the outputs file holds."""

    api_url: str
    aws_endpoint_url: str
    lambda_endpoint_url: str
    control_url: str
    region: str
    account_id: str
    tables: Mapping[str, Mapping[str, str]]
    queues: Mapping[str, Mapping[str, str]]
    topics: Mapping[str, Mapping[str, str]]
    functions: Mapping[str, Mapping[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": STAGE,
            "apiUrl": self.api_url,
            "awsEndpointUrl": self.aws_endpoint_url,
            "lambdaEndpointUrl": self.lambda_endpoint_url,
            "controlUrl": self.control_url,
            "region": self.region,
            "accountId": self.account_id,
            "tables": self.tables,
            "queues": self.queues,
            "topics": self.topics,
            "functions": self.functions,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StageOutputs:
        return cls(
            api_url=document["apiUrl"],
            aws_endpoint_url=document["awsEndpointUrl"],
            lambda_endpoint_url=document["lambdaEndpointUrl"],
            control_url=document["controlUrl"],
            region=document["region"],
            account_id=document["accountId"],
            tables=document["tables"],
            queues=document["queues"],
            topics=document["topics"],
            functions=document["functions"],
        )

    def write(self, path: Path) -> None:
        """Write the outputs file atomically, so a reader never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> StageOutputs:
        return cls.from_json(json.loads(path.read_text()))


def synthesize_templates() -> list[StackTemplate]:
    """Synthesize the CDK app for the local stage (no asset bundling)."""
    from infra.app import build_app  # noqa: PLC0415 - the CDK loads slowly; only when needed

    # Path metadata names each resource's construct (``NotificationFunction``).
    app = build_app(STAGE, bundle=False, context={"aws:cdk:enable-path-metadata": True})
    return [
        StackTemplate(
            stack.stack_name, stack.template, _concrete(stack.environment.region)
        )
        for stack in app.synth().stacks
    ]


def _concrete(region: str) -> str | None:
    return None if region.startswith("unknown-") else region


def read_assembly(directory: Path) -> list[StackTemplate]:
    """Read the stack templates of a cloud assembly folder (``cdk.out``)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((directory / properties["templateFile"]).read_text())
        region = str(artifact.get("environment", "")).rpartition("/")[2]
        stacks.append(
            StackTemplate(
                properties.get("stackName", artifact_id), template, _concrete(region)
            )
        )
    if not stacks:
        raise TemplateError(f"{directory} holds no CloudFormation stack")
    return stacks


class LocalStage:
    """The whole pattern on 127.0.0.1, built from synthesized templates.

    Use it as a context manager::

        with LocalStage(stacks, StageOptions(time_factor=0.01)) as outputs:
            requests.post(outputs.api_url + "tasks", ...)
    """

    def __init__(
        self,
        stacks: Sequence[StackTemplate] | None = None,
        options: StageOptions | None = None,
        *,
        sink: LogSink = _log_to_stderr,
    ) -> None:
        self._stacks = stacks
        self._options = options or StageOptions()
        self._sink = sink
        self._servers: list[BackgroundServer] = []
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._service: LambdaService | None = None
        self._moto_url = ""
        self.outputs: StageOutputs | None = None
        self.description: StageDescription | None = None

    def __enter__(self) -> StageOutputs:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> StageOutputs:
        """Bring everything up; on any error, take down what already started."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop taking requests, let running attempts end, then stop the workers."""
        for server in reversed(self._servers[1:]):
            server.stop()
        if self._service is not None:
            self._service.queue.stop()
            self._service = None
        if self._servers:  # moto last: the attempts still running write to it
            reset_moto(self._moto_url)
            self._servers[0].stop()
        self._servers.clear()
        for runtime in self._runtimes.values():
            runtime.close()
        self._runtimes.clear()

    def _start(self) -> StageOutputs:
        options = self._options
        stacks = self._stacks if self._stacks is not None else synthesize_templates()

        moto = start_moto_server(options.aws_port)
        self._servers.append(moto)
        self._moto_url = moto.url
        reset_moto(moto.url)
        region = options.region or next(
            (stack.region for stack in stacks if stack.region), DEFAULT_REGION
        )
        account = LocalAccount(region, ACCOUNT_ID, moto.url)
        stage = describe_stage(stacks, account)
        self.description = stage
        create_resources(stage, moto.url)

        lambda_server, lambda_http = start_lambda_server(options.lambda_port)
        self._servers.append(lambda_server)
        gateway, gateway_http = start_gateway(
            options.api_port, RouteTable(stage.routes)
        )
        self._servers.append(gateway)

        for function in stage.functions.values():
            environment = function_environment(
                function, stage, moto.url, lambda_server.url
            )
            self._runtimes[function.key] = FunctionRuntime(
                function,
                environment,
                max_concurrency=function.reserved_concurrency
                or options.function_concurrency,
                sink=self._sink,
            )
        faults = FaultInjector(options.seed)
        for reference, plan in options.faults.items():
            target = stage.function_by_reference(reference)
            if target is None:
                raise TemplateError(f"no function {reference!r} to inject faults into")
            faults.set(target.key, plan)
        writer = _RecordWriter(stage, moto.url)
        service = LambdaService(
            stage, self._runtimes, faults, writer.write, time_factor=options.time_factor
        )
        self._service = service
        service.queue.start(options.async_concurrency)
        lambda_http.service = service
        gateway_http.service = service
        lambda_server.start()
        gateway.start()

        if options.warm:
            with ThreadPoolExecutor(max_workers=len(self._runtimes) or 1) as pool:
                list(pool.map(FunctionRuntime.warm, self._runtimes.values()))

        self.outputs = _outputs(stage, moto.url, lambda_server.url, gateway.url)
        return self.outputs


def function_environment(
    function: FunctionSpec, stage: StageDescription, aws_url: str, lambda_url: str
) -> dict[str, str]:
    """The environment a function's worker starts with, as Lambda would set it.

    Lambda's own variables come after the template's, as Lambda reserves them. Some
    libraries read them to tell Lambda from elsewhere: without ``LAMBDA_TASK_ROOT``
    the X-Ray SDK builds two X-Ray clients at import, which Lambda's cold starts
    never pay.
    """
    inherited = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    region = stage.account.region
    return {
        **inherited,
        **function.environment,
        "LAMBDA_TASK_ROOT": str(task_root(function.handler)),
        "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": "testing",
        # Keep a developer's own profile and config away from the functions.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ENDPOINT_URL_DYNAMODB": aws_url,
        "AWS_ENDPOINT_URL_SQS": aws_url,
        "AWS_ENDPOINT_URL_SNS": aws_url,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_url,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{function.key}",
        "_HANDLER": function.handler,
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
        # There is no X-Ray daemon on 127.0.0.1.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }


class _RecordWriter:
    """Send invocation records to SQS queues or SNS topics in moto."""

    def __init__(self, stage: StageDescription, aws_url: str) -> None:
        region = stage.account.region
        self._sqs = client("sqs", aws_url, region)
        self._sns = client("sns", aws_url, region)
        self._queue_urls = {queue.arn: queue.url for queue in stage.queues.values()}

    def write(self, destination: str, record: dict[str, Any]) -> None:
        body = json.dumps(record)
        service = destination.split(":")[2]
        if service == "sqs" and destination in self._queue_urls:
            self._sqs.send_message(
                QueueUrl=self._queue_urls[destination], MessageBody=body
            )
        elif service == "sns":
            self._sns.publish(TopicArn=destination, Message=body)
        else:
            raise TemplateError(
                f"the local stage cannot write records to {destination}"
            )
        logger.info(
            "%s record of request %s written to %s",
            record["requestContext"]["condition"],
            record["requestContext"]["requestId"],
            destination,
        )


def _outputs(
    stage: StageDescription, aws_url: str, lambda_url: str, api_url: str
) -> StageOutputs:
    return StageOutputs(
        api_url=f"{api_url}/",
        aws_endpoint_url=aws_url,
        lambda_endpoint_url=lambda_url,
        control_url=f"{lambda_url}/_local",
        region=stage.account.region,
        account_id=stage.account.account_id,
        tables={t.key: {"name": t.name, "arn": t.arn} for t in stage.tables.values()},
        queues={
            q.key: {"name": q.name, "url": q.url, "arn": q.arn}
            for q in stage.queues.values()
        },
        topics={t.key: {"name": t.name, "arn": t.arn} for t in stage.topics.values()},
        functions={
            f.key: {
                "name": f.name,
                "arn": f.arn,
                "handler": f.handler,
                "environment": dict(f.environment),
                "asyncConfig": {
                    "maximumRetryAttempts": f.async_config.max_retry_attempts,
                    "maximumEventAgeInSeconds": f.async_config.max_event_age_seconds,
                    "onFailure": f.async_config.on_failure,
                    "onSuccess": f.async_config.on_success,
                },
            }
            for f in stage.functions.values()
        },
    )
