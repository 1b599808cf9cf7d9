"""What every subgraph shares: settings, database, context, caller, loaders,
pagination, pub/sub, errors, services, idempotent mutations, cache hints, the app
and its start-up sequence."""

from __future__ import annotations

from subgraphs.kit._masking import SubgraphSchema
from subgraphs.kit.after_commit import after_commit
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.background import BackgroundTask, run_background, supervise
from subgraphs.kit.cache_control import CacheHint, InvalidCacheHint
from subgraphs.kit.context import RequestContext, build_context
from subgraphs.kit.database import (
    StatementCounter,
    check_databases,
    close_databases,
    count_statements,
    detect_model_changes,
    init_databases,
)
from subgraphs.kit.emails import normalise_email
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.entities import EntityReference
from subgraphs.kit.errors import (
    AgoraGraphQLError,
    BadUserInput,
    BrokerUnavailable,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    TemporarilyUnavailable,
    Unauthenticated,
)
from subgraphs.kit.idempotency import key_argument
from subgraphs.kit.invitations import (
    InvitationClaims,
    issue_invitation_token,
    verify_invitation_token,
)
from subgraphs.kit.lifecycle import prepare_subgraphs, run_subgraphs
from subgraphs.kit.loaders import BatchKeys, group_by_text, load_by_ids, parse_uuids
from subgraphs.kit.pagination import Connection, Edge, PageInfo
from subgraphs.kit.principal import Principal, Role
from subgraphs.kit.pubsub import Broker, Channel, Subscription
from subgraphs.kit.services import ServiceFactory, Services, ServiceUnavailable
from subgraphs.kit.settings import Settings
from subgraphs.kit.tokens import TokenClaims, decode_token, issue_token
from subgraphs.kit.users import UserDirectory, UserRecord, directory_for

__all__ = [
    "AgoraGraphQLError",
    "BackgroundTask",
    "BadUserInput",
    "BatchKeys",
    "Broker",
    "BrokerUnavailable",
    "CacheHint",
    "Channel",
    "Conflict",
    "Connection",
    "Edge",
    "EntityReference",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidCacheHint",
    "InvitationClaims",
    "NotFound",
    "OutcomeUnknown",
    "PageInfo",
    "Principal",
    "RateLimited",
    "RequestContext",
    "Role",
    "ServiceFactory",
    "ServiceUnavailable",
    "Services",
    "Settings",
    "StatementCounter",
    "SubgraphSchema",
    "SubgraphSpec",
    "Subscription",
    "TemporarilyUnavailable",
    "TokenClaims",
    "Unauthenticated",
    "UserDirectory",
    "UserRecord",
    "after_commit",
    "build_context",
    "check_databases",
    "close_databases",
    "count_statements",
    "create_embedded",
    "create_subgraph_app",
    "decode_token",
    "detect_model_changes",
    "directory_for",
    "group_by_text",
    "init_databases",
    "issue_invitation_token",
    "issue_token",
    "key_argument",
    "load_by_ids",
    "normalise_email",
    "parse_uuids",
    "prepare_subgraphs",
    "run_background",
    "run_subgraphs",
    "supervise",
    "verify_invitation_token",
]
