"""The Task Service stack: the tasks table, the read and write functions, the REST API.

The notification function and the failure queue arrive as construct properties from
the Notification Service stack; the CDK turns the references into exports and imports
it names itself and deploys the Notification Service first.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import log_retention, service_function
from infra.nag import acknowledge
from infra.stages import StageSettings
from infra.storage import keyed_table, removal_policy

READ_HANDLER: Final = "task_service.handlers.handle_read_request"
WRITE_HANDLER: Final = "task_service.handlers.handle_write_request"
# Headers a browser must be allowed to send for a SigV4-signed request.
CORS_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
)


class TaskServiceStack(Stack):
    """Stores tasks behind a REST API and hands every change off to notification."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        code: lambda_.Code,
        notification_function: lambda_.IFunction,
        failure_queue: sqs.IQueue,
        env: Environment | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env, description=description)
        removal = removal_policy(settings)

        table = keyed_table(self, "TasksTable", settings)

        # ---- functions: read-only routes cannot write; only the writer hands off
        self.read_function = service_function(
            self,
            "TaskReadFunction",
            settings=settings,
            code=code,
            handler=READ_HANDLER,
            service_name="task-service",
            description="Serves GET /tasks and GET /tasks/{taskId}",
            timeout=Duration.seconds(10),
            environment={"TASKS_TABLE_NAME": table.table_name},
        )
        table.grant_read_data(self.read_function)

        self.write_function = service_function(
            self,
            "TaskWriteFunction",
            settings=settings,
            code=code,
            handler=WRITE_HANDLER,
            service_name="task-service",
            description="Serves POST, PUT and DELETE on tasks; hands changes off",
            # Room for the write, the invoke with the SDK's retries, and parking.
            timeout=Duration.seconds(20),
            environment={
                "TASKS_TABLE_NAME": table.table_name,
                "NOTIFICATION_FUNCTION_NAME": notification_function.function_name,
                "FAILURE_QUEUE_URL": failure_queue.queue_url,
            },
        )
        table.grant_read_write_data(self.write_function)
        # Exactly the one function ARN: not grant_invoke, which adds ARN:* (versions).
        self.write_function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[notification_function.function_arn],
            )
        )
        # Parking: a handoff the invoke call refused becomes a failure record.
        failure_queue.grant_send_messages(self.write_function)

        # ---- API
        self.api = self._rest_api(settings, removal)
        tasks = self.api.root.add_resource("tasks")
        task = tasks.add_resource("{taskId}")
        read = apigw.LambdaIntegration(self.read_function, allow_test_invoke=False)
        write = apigw.LambdaIntegration(self.write_function, allow_test_invoke=False)
        tasks.add_method("GET", read)
        task.add_method("GET", read)
        tasks.add_method("POST", write)
        task.add_method("PUT", write)
        task.add_method("DELETE", write)

        CfnOutput(self, "TasksTableName", value=table.table_name)

    def _rest_api(
        self, settings: StageSettings, removal: RemovalPolicy
    ) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=log_retention(settings.log_retention_days),
            removal_policy=removal,
        )
        authorization = (
            apigw.AuthorizationType.IAM
            if settings.iam_authorization
            else apigw.AuthorizationType.NONE
        )
        cors = (
            apigw.CorsOptions(
                allow_origins=list(settings.cors_allow_origins),
                allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                allow_headers=list(CORS_HEADERS),
            )
            if settings.cors_allow_origins
            else None
        )
        api = apigw.RestApi(
            self,
            "TaskApi",
            rest_api_name=f"internal-handoff-tasks-{settings.stage}",
            description="Task Service: tasks stored in DynamoDB, changes handed off",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-level role that lets API Gateway write execution logs. It
            # is one setting per account and region, shared by every stage deployed
            # there: destroying one stage must not pull it from under the others.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            default_method_options=apigw.MethodOptions(
                authorization_type=authorization
            ),
            default_cors_preflight_options=cors,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage,
                throttling_rate_limit=settings.throttling_rate_limit,
                throttling_burst_limit=settings.throttling_burst_limit,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        self._answer_gateway_errors_in_the_contract(api)
        self._acknowledge_api_findings(api, settings)
        return api

    @staticmethod
    def _answer_gateway_errors_in_the_contract(api: apigw.RestApi) -> None:
        # API Gateway answers some requests itself, before any function runs: an
        # unknown path or method (403 "Missing Authentication Token"), a refused
        # signature, throttling. Their bodies follow schemas/error-response.json
        # too; `messageString` is already a quoted JSON string.
        body = (
            '{"message": $context.error.messageString, "errors": [], '
            '"correlationId": "$context.requestId"}'
        )
        for name, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            api.add_gateway_response(
                name, type=response_type, templates={"application/json": body}
            )

    def _acknowledge_api_findings(
        self, api: apigw.RestApi, settings: StageSettings
    ) -> None:
        acknowledge(
            api,
            "AwsSolutions-APIG2",
            "Requests are validated in the functions against the models generated "
            "from schemas/ (the single source of truth); API Gateway models would "
            "restate the schemas and drift from them.",
        )
        acknowledge(
            api,
            "AwsSolutions-APIG3",
            "An internal API behind IAM authorization, called by principals of this "
            "account; a WAF web ACL is left to adopters who expose it more widely.",
        )
        acknowledge(
            api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role: the AWS managed policy is the "
            "documented way to let API Gateway write execution logs.",
        )
        acknowledge(
            api,
            "AwsSolutions-COG4",
            "Callers are AWS principals authorized by IAM (SigV4), not end users "
            "with Cognito identities.",
        )
        if not settings.iam_authorization:
            acknowledge(
                api,
                "AwsSolutions-APIG4",
                "The local stage listens on 127.0.0.1 only and nothing there "
                "verifies SigV4; every AWS stage requires IAM authorization.",
            )
