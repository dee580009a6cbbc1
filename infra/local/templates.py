"""Read synthesized CloudFormation templates into what the local stage runs.

The local stage restates nothing: tables, queues, topics, functions, async invoke
settings and API routes all come from the templates ``cdk synth`` produced. This
module resolves the intrinsic functions the CDK writes (``Ref``, ``Fn::GetAtt``,
``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split`` and ``Fn::ImportValue`` of
the exports it generates for cross-stack references) against local names, so a
function's environment names the resources the local stage creates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.local.errors import TemplateError

PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

# Lambda's documented defaults for asynchronous invocation.
DEFAULT_MAX_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 21600
# CloudFormation's defaults for AWS::Lambda::Function.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
# API Gateway's default stage name in the CDK's RestApi.
DEFAULT_API_STAGE = "prod"

_NAME_LIMITS = {
    "AWS::DynamoDB::Table": 255,
    "AWS::DynamoDB::GlobalTable": 255,
    "AWS::SQS::Queue": 80,
    "AWS::SNS::Topic": 256,
    "AWS::Lambda::Function": 64,
}
_NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
}
# The CDK's Table and TableV2 constructs.
_TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
# The properties the local stage reads; it ignores the rest (tags, keys, alarms).
_TABLE_PROPERTIES = (
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "TimeToLiveSpecification",
)
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)
_QUEUE_PROPERTIES = (*_QUEUE_ATTRIBUTES, "RedrivePolicy")
_TOPIC_PROPERTIES = ("FifoTopic", "ContentBasedDeduplication")
_FUNCTION_PROPERTIES = (
    "Handler",
    "Runtime",
    "Timeout",
    "MemorySize",
    "Environment",
    "ReservedConcurrentExecutions",
)
_INTEGRATION_FUNCTION = re.compile(r"/functions/(?P<arn>[^/]+)/invocations$")
_CDK_LOGICAL_ID = re.compile(r"(?P<construct>[A-Za-z0-9]+?)[0-9A-F]{8}")
_SUB_VARIABLE = re.compile(r"\$\{(?P<name>[^}!][^}]*)\}")


@dataclass(frozen=True)
class StackTemplate:
    """One stack of the cloud assembly: its deployed name and its template."""

    name: str
    template: Mapping[str, Any]
    region: str | None = None


@dataclass(frozen=True)
class LocalAccount:
    """Where the local resources live: region, account and the AWS endpoint."""

    region: str
    account_id: str
    aws_endpoint_url: str


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table, with the properties ``CreateTable`` needs, resolved."""

    key: str
    name: str
    arn: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue and the attributes ``CreateQueue`` takes."""

    key: str
    name: str
    url: str
    arn: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class TopicSpec:
    """An SNS topic."""

    key: str
    name: str
    arn: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class SubscriptionSpec:
    """An SNS subscription declared in a template."""

    topic_arn: str
    protocol: str
    endpoint: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class AsyncConfig:
    """A function's asynchronous invocation settings (``EventInvokeConfig``)."""

    max_retry_attempts: int = DEFAULT_MAX_RETRY_ATTEMPTS
    max_event_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS
    on_failure: str | None = None
    on_success: str | None = None


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: what runs, with which environment and limits."""

    key: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    reserved_concurrency: int | None
    async_config: AsyncConfig = field(default_factory=AsyncConfig)


@dataclass(frozen=True)
class Route:
    """An API Gateway method proxied to a function."""

    method: str
    resource_path: str
    function_key: str


@dataclass(frozen=True)
class StageDescription:
    """Everything the local stage creates and runs, read from the templates."""

    account: LocalAccount
    tables: Mapping[str, TableSpec]
    queues: Mapping[str, QueueSpec]
    topics: Mapping[str, TopicSpec]
    subscriptions: Sequence[SubscriptionSpec]
    functions: Mapping[str, FunctionSpec]
    routes: Sequence[Route]
    api_stage_name: str

    def function_by_reference(self, reference: str) -> FunctionSpec | None:
        """Find a function by name, ARN (qualified or not) or construct id."""
        if reference in self.functions:
            return self.functions[reference]
        unqualified = _strip_qualifier(reference)
        for function in self.functions.values():
            if unqualified in (function.name, function.arn):
                return function
        return None


@dataclass(frozen=True)
class _Physical:
    """How a resource answers ``Ref`` and ``Fn::GetAtt`` in the local stage."""

    ref: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class _ResourceId:
    stack: str
    logical_id: str


def describe_stage(
    stacks: Sequence[StackTemplate], account: LocalAccount
) -> StageDescription:
    """Read the stacks of a cloud assembly into a resolved stage description.

    Raises
    ------
    TemplateError
        When a template uses a construct the local stage cannot reproduce; the
        message names the stack, the resource and what is missing.
    """
    reader = _TemplateReader(stacks, account)
    functions = reader.functions()
    return StageDescription(
        account=account,
        tables=reader.tables(),
        queues=reader.queues(),
        topics=reader.topics(),
        subscriptions=reader.subscriptions(),
        functions=functions,
        routes=reader.routes(functions),
        api_stage_name=reader.api_stage_name(),
    )


class _TemplateReader:
    """Walks the templates and resolves values against local physical names."""

    def __init__(self, stacks: Sequence[StackTemplate], account: LocalAccount) -> None:
        self._stacks = {stack.name: stack for stack in stacks}
        self._account = account
        self._physical: dict[_ResourceId, _Physical] = {}
        self._resolving: set[_ResourceId] = set()
        self._keys = self._construct_keys()

    # ------------------------------------------------------------ resources

    def tables(self) -> dict[str, TableSpec]:
        specs = {}
        for rid, resource in self._resources_of(*_TABLE_TYPES):
            physical = self._physical_of(rid)
            properties = self._properties(rid, resource, _TABLE_PROPERTIES)
            specs[self._keys[rid]] = TableSpec(
                key=self._keys[rid],
                name=physical.ref,
                arn=physical.attributes["Arn"],
                properties=properties,
            )
        return specs

    def queues(self) -> dict[str, QueueSpec]:
        specs = {}
        for rid, resource in self._resources_of("AWS::SQS::Queue"):
            physical = self._physical_of(rid)
            properties = self._properties(rid, resource, _QUEUE_PROPERTIES)
            specs[self._keys[rid]] = QueueSpec(
                key=self._keys[rid],
                name=physical.attributes["QueueName"],
                url=physical.ref,
                arn=physical.attributes["Arn"],
                attributes=_queue_attributes(properties),
            )
        return specs

    def topics(self) -> dict[str, TopicSpec]:
        specs = {}
        for rid, resource in self._resources_of("AWS::SNS::Topic"):
            physical = self._physical_of(rid)
            properties = self._properties(rid, resource, _TOPIC_PROPERTIES)
            attributes = {}
            if properties.get("FifoTopic"):
                attributes["FifoTopic"] = "true"
            if properties.get("ContentBasedDeduplication"):
                attributes["ContentBasedDeduplication"] = "true"
            specs[self._keys[rid]] = TopicSpec(
                key=self._keys[rid],
                name=physical.attributes["TopicName"],
                arn=physical.ref,
                attributes=attributes,
            )
        return specs

    def subscriptions(self) -> list[SubscriptionSpec]:
        specs = []
        for rid, resource in self._resources_of("AWS::SNS::Subscription"):
            properties = self._resolve(rid.stack, resource.get("Properties", {}))
            attributes = {}
            if properties.get("RawMessageDelivery"):
                attributes["RawMessageDelivery"] = "true"
            if "FilterPolicy" in properties:
                attributes["FilterPolicy"] = _json_text(properties["FilterPolicy"])
            specs.append(
                SubscriptionSpec(
                    topic_arn=str(properties["TopicArn"]),
                    protocol=str(properties["Protocol"]),
                    endpoint=str(properties.get("Endpoint", "")),
                    attributes=attributes,
                )
            )
        return specs

    def functions(self) -> dict[str, FunctionSpec]:
        configs = self._async_configs()
        specs = {}
        for rid, resource in self._resources_of("AWS::Lambda::Function"):
            physical = self._physical_of(rid)
            properties = self._properties(rid, resource, _FUNCTION_PROPERTIES)
            if "Handler" not in properties:
                raise TemplateError(
                    f"{rid.stack}/{rid.logical_id}: the local stage runs Python "
                    "handlers from the source tree and needs a Handler property"
                )
            variables = properties.get("Environment", {}).get("Variables", {})
            reserved = properties.get("ReservedConcurrentExecutions")
            specs[self._keys[rid]] = FunctionSpec(
                key=self._keys[rid],
                name=physical.ref,
                arn=physical.attributes["Arn"],
                handler=str(properties["Handler"]),
                runtime=str(properties.get("Runtime", "")),
                timeout_seconds=int(properties.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
                memory_mb=int(properties.get("MemorySize", DEFAULT_MEMORY_MB)),
                environment={name: str(value) for name, value in variables.items()},
                reserved_concurrency=None if reserved is None else int(reserved),
                async_config=configs.get(physical.ref, AsyncConfig()),
            )
        return specs

    def _async_configs(self) -> dict[str, AsyncConfig]:
        """Map function names to their EventInvokeConfig (``$LATEST`` only)."""
        configs = {}
        for rid, resource in self._resources_of("AWS::Lambda::EventInvokeConfig"):
            properties = self._resolve(rid.stack, resource.get("Properties", {}))
            destinations = properties.get("DestinationConfig", {})
            configs[_function_name_of(str(properties["FunctionName"]))] = AsyncConfig(
                max_retry_attempts=int(
                    properties.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS)
                ),
                max_event_age_seconds=int(
                    properties.get(
                        "MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS
                    )
                ),
                on_failure=destinations.get("OnFailure", {}).get("Destination"),
                on_success=destinations.get("OnSuccess", {}).get("Destination"),
            )
        return configs

    def routes(self, functions: Mapping[str, FunctionSpec]) -> list[Route]:
        by_arn = {function.arn: function.key for function in functions.values()}
        routes = []
        for rid, resource in self._resources_of("AWS::ApiGateway::Method"):
            properties = resource.get("Properties", {})
            integration = properties.get("Integration", {})
            if integration.get("Type") not in ("AWS_PROXY", "AWS"):
                continue  # MOCK methods (CORS preflight) call no function
            uri = str(self._resolve(rid.stack, integration["Uri"]))
            match = _INTEGRATION_FUNCTION.search(uri)
            function_key = by_arn.get(_strip_qualifier(match["arn"])) if match else None
            if function_key is None:
                raise TemplateError(
                    f"{rid.stack}/{rid.logical_id}: integration {uri!r} names no "
                    "Lambda function of these templates"
                )
            routes.append(
                Route(
                    method=str(properties["HttpMethod"]).upper(),
                    resource_path=self._resource_path(
                        rid.stack, properties["ResourceId"]
                    ),
                    function_key=function_key,
                )
            )
        return sorted(routes, key=lambda route: (route.resource_path, route.method))

    def api_stage_name(self) -> str:
        for stage_type in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment"):
            for rid, resource in self._resources_of(stage_type):
                name = resource.get("Properties", {}).get("StageName")
                if name is not None:
                    return str(self._resolve(rid.stack, name))
        return DEFAULT_API_STAGE

    def _resource_path(self, stack: str, resource_id: Any) -> str:  # noqa: ANN401 - template JSON
        """Follow ParentId links up to the API's root to build ``/a/{b}``."""
        if isinstance(resource_id, Mapping) and "Fn::GetAtt" in resource_id:
            return "/"  # Fn::GetAtt [RestApi, RootResourceId]
        if not (isinstance(resource_id, Mapping) and "Ref" in resource_id):
            raise TemplateError(f"{stack}: unsupported ResourceId {resource_id!r}")
        resource = self._template(stack)["Resources"][resource_id["Ref"]]
        properties = resource["Properties"]
        parent = self._resource_path(stack, properties["ParentId"])
        return f"{parent.rstrip('/')}/{properties['PathPart']}"

    # ------------------------------------------------------------ naming

    def _construct_keys(self) -> dict[_ResourceId, str]:
        """Name each resource by its construct id, qualified only when ambiguous."""
        candidates: dict[_ResourceId, str] = {}
        for stack_name, stack in self._stacks.items():
            for logical_id, resource in stack.template.get("Resources", {}).items():
                path = resource.get("Metadata", {}).get("aws:cdk:path")
                candidates[_ResourceId(stack_name, logical_id)] = _construct_id(
                    logical_id, path
                )
        names = Counter(candidates.values())
        qualified = Counter((rid.stack, name) for rid, name in candidates.items())
        keys = {}
        for rid, name in candidates.items():
            if names[name] == 1:
                keys[rid] = name
            elif qualified[rid.stack, name] == 1:
                keys[rid] = f"{rid.stack}/{name}"
            else:
                keys[rid] = f"{rid.stack}/{rid.logical_id}"
        return keys

    def _physical_of(self, rid: _ResourceId) -> _Physical:
        if rid in self._physical:
            return self._physical[rid]
        if rid in self._resolving:
            raise TemplateError(f"{rid.stack}/{rid.logical_id}: circular reference")
        self._resolving.add(rid)
        try:
            physical = self._compute_physical(rid)
        finally:
            self._resolving.discard(rid)
        self._physical[rid] = physical
        return physical

    def _compute_physical(self, rid: _ResourceId) -> _Physical:  # noqa: PLR0911 - one branch per type
        resource = self._template(rid.stack)["Resources"][rid.logical_id]
        resource_type = resource["Type"]
        properties = resource.get("Properties", {})
        region, account = self._account.region, self._account.account_id
        name = self._physical_name(rid, resource_type, properties)

        if resource_type in _TABLE_TYPES:
            arn = f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{name}"
            return _Physical(name, {"Arn": arn})
        if resource_type == "AWS::SQS::Queue":
            arn = f"arn:{PARTITION}:sqs:{region}:{account}:{name}"
            url = f"{self._account.aws_endpoint_url}/{account}/{name}"
            return _Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
        if resource_type == "AWS::SNS::Topic":
            arn = f"arn:{PARTITION}:sns:{region}:{account}:{name}"
            return _Physical(arn, {"TopicArn": arn, "TopicName": name})
        if resource_type == "AWS::Lambda::Function":
            arn = f"arn:{PARTITION}:lambda:{region}:{account}:function:{name}"
            return _Physical(name, {"Arn": arn})
        if resource_type == "AWS::IAM::Role":
            arn = f"arn:{PARTITION}:iam::{account}:role/{name}"
            return _Physical(name, {"Arn": arn, "RoleId": name})
        if resource_type == "AWS::ApiGateway::RestApi":
            return _Physical(name, {"RootResourceId": f"{name}-root"})
        # Anything else answers Ref with a stable local id and Arn with a
        # well-formed ARN: enough for references the local stage never follows.
        service = resource_type.split("::")[1].lower()
        return _Physical(
            name, {"Arn": f"arn:{PARTITION}:{service}:{region}:{account}:{name}"}
        )

    def _physical_name(
        self, rid: _ResourceId, resource_type: str, properties: Mapping[str, Any]
    ) -> str:
        name_property = _NAME_PROPERTIES.get(resource_type)
        if name_property and name_property in properties:
            return str(self._resolve(rid.stack, properties[name_property]))
        # CloudFormation generates "<stack>-<logical id>-<random>"; a hash keeps
        # the local name stable across restarts and within the service's limit.
        limit = _NAME_LIMITS.get(resource_type, 255)
        fifo = resource_type == "AWS::SQS::Queue" and bool(properties.get("FifoQueue"))
        suffix = ".fifo" if fifo else ""
        name = f"{rid.stack}-{rid.logical_id}"
        if len(name) + len(suffix) > limit:
            digest = hashlib.sha256(name.encode()).hexdigest()[:8]
            name = f"{name[: limit - len(suffix) - 9]}-{digest}"
        return name + suffix

    # ------------------------------------------------------------ intrinsics

    def _resolve(self, stack: str, value: Any) -> Any:  # noqa: ANN401 - template JSON
        """Resolve every intrinsic function inside ``value``."""
        if isinstance(value, list):
            return [
                self._resolve(stack, item) for item in value if not _is_no_value(item)
            ]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (function, argument), *_ = value.items()
            if function == "Ref":
                return self._ref(stack, str(argument))
            if function.startswith("Fn::"):
                return self._intrinsic(stack, function, argument)
        return {
            key: self._resolve(stack, item)
            for key, item in value.items()
            if not _is_no_value(item)
        }

    def _intrinsic(self, stack: str, function: str, argument: Any) -> Any:  # noqa: ANN401 - one branch per intrinsic
        if function == "Fn::GetAtt":
            logical_id, attribute = (
                argument.split(".", 1) if isinstance(argument, str) else argument
            )
            return self._get_att(stack, str(logical_id), str(attribute))
        if function == "Fn::Join":
            separator, items = argument
            return str(separator).join(
                str(item) for item in self._resolve(stack, items)
            )
        if function == "Fn::Sub":
            return self._sub(stack, argument)
        if function == "Fn::Select":
            index, items = argument
            return self._resolve(stack, items)[int(self._resolve(stack, index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self._resolve(stack, text)).split(str(separator))
        if function == "Fn::ImportValue":
            return self._import_value(str(self._resolve(stack, argument)))
        raise TemplateError(f"{stack}: the local stage does not evaluate {function}")

    def _ref(self, stack: str, name: str) -> Any:  # noqa: ANN401 - template JSON
        pseudo = {
            "AWS::Region": self._account.region,
            "AWS::AccountId": self._account.account_id,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": stack,
            "AWS::StackId": (
                f"arn:{PARTITION}:cloudformation:{self._account.region}:"
                f"{self._account.account_id}:stack/{stack}/local"
            ),
        }
        if name in pseudo:
            return pseudo[name]
        template = self._template(stack)
        if name in template.get("Resources", {}):
            return self._physical_of(_ResourceId(stack, name)).ref
        parameter = template.get("Parameters", {}).get(name)
        if parameter is not None and "Default" in parameter:
            return parameter["Default"]
        raise TemplateError(f"{stack}: Ref {name!r} names no resource or parameter")

    def _get_att(self, stack: str, logical_id: str, attribute: str) -> str:
        if logical_id not in self._template(stack).get("Resources", {}):
            raise TemplateError(f"{stack}: Fn::GetAtt names no resource {logical_id!r}")
        physical = self._physical_of(_ResourceId(stack, logical_id))
        if attribute not in physical.attributes:
            resource_type = self._template(stack)["Resources"][logical_id]["Type"]
            raise TemplateError(
                f"{stack}/{logical_id}: the local stage has no attribute "
                f"{attribute!r} for {resource_type}"
            )
        return physical.attributes[attribute]

    def _sub(self, stack: str, argument: Any) -> str:  # noqa: ANN401 - template JSON
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._resolve(stack, item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match["name"]
            if name in values:
                return str(values[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(stack, logical_id, attribute)
            return str(self._ref(stack, name))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _import_value(self, export_name: str) -> Any:  # noqa: ANN401 - template JSON
        for stack_name, stack in self._stacks.items():
            for output in stack.template.get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if (
                    export is not None
                    and self._resolve(stack_name, export) == export_name
                ):
                    return self._resolve(stack_name, output["Value"])
        raise TemplateError(f"Fn::ImportValue: no stack exports {export_name!r}")

    # ------------------------------------------------------------ helpers

    def _properties(
        self, rid: _ResourceId, resource: Mapping[str, Any], names: Iterable[str]
    ) -> dict[str, Any]:
        """Resolve only the properties the local stage uses.

        Encryption keys, tags and the like may reference resources that have no
        local counterpart; they must not stop the stage.
        """
        properties = resource.get("Properties", {})
        return {
            name: self._resolve(rid.stack, properties[name])
            for name in names
            if name in properties
        }

    def _template(self, stack: str) -> Mapping[str, Any]:
        return self._stacks[stack].template

    def _resources_of(
        self, *resource_types: str
    ) -> Iterable[tuple[_ResourceId, Mapping[str, Any]]]:
        for stack_name, stack in self._stacks.items():
            for logical_id, resource in stack.template.get("Resources", {}).items():
                if resource.get("Type") in resource_types:
                    yield _ResourceId(stack_name, logical_id), resource


def _construct_id(logical_id: str, path: str | None) -> str:
    """The construct id behind a logical id, e.g. ``NotificationFunction``.

    The path metadata names it (``Stack/NotificationFunction/Resource``); without
    it (a programmatic synth leaves it out), the CDK's logical id is the
    construct id followed by an 8-character hash.
    """
    if path:
        parts = [part for part in path.split("/") if part]
        if len(parts) > 2 and parts[-1] in ("Resource", "Default"):
            parts = parts[:-1]
        if len(parts) > 1:
            return parts[-1]
    match = _CDK_LOGICAL_ID.fullmatch(logical_id)
    return match["construct"] if match else logical_id


def _queue_attributes(properties: Mapping[str, Any]) -> dict[str, str]:
    """Translate AWS::SQS::Queue properties into CreateQueue attributes."""
    attributes = {}
    for name in _QUEUE_ATTRIBUTES:
        if name in properties:
            value = properties[name]
            attributes[name] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = _json_text(properties["RedrivePolicy"])
    return attributes


def _json_text(value: Any) -> str:  # noqa: ANN401 - template JSON
    return value if isinstance(value, str) else json.dumps(value)


def _is_no_value(value: Any) -> bool:  # noqa: ANN401 - template JSON
    return isinstance(value, Mapping) and value == {"Ref": "AWS::NoValue"}


def _strip_qualifier(reference: str) -> str:
    """Drop a version or alias from a function ARN (``...:function:name:$LATEST``)."""
    parts = reference.split(":")
    if len(parts) == 8 and parts[5] == "function":
        return ":".join(parts[:7])
    return reference


def _function_name_of(reference: str) -> str:
    """The function name in a name, ARN or partial ARN."""
    parts = _strip_qualifier(reference).split(":")
    return parts[6] if len(parts) >= 7 else parts[-1]
