"""/api/v1/rules/: the user's rules (mark read, star or hide new entries that match).

Calls ``reader.rules`` only: ``rule_list``/``rule_get`` (reads), ``rule_create``,
``rule_update``, ``rule_delete``, ``rule_build`` + ``rule_preview`` (test a
rule on existing entries without saving) and ``rule_apply`` (apply a saved
rule to existing entries). Errors: the API's one shape; an invalid pattern is
a 400 with code ``invalid_pattern`` on field ``pattern``; another user's rule,
subscription or category is a 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from reader import rules
from reader.api.base import ApiView, UtcDateTimeField, id_field
from reader.api.errors import reader_error
from reader.api.schema import error_response

_INVALID_PATTERN = error_response(
    400,
    "Invalid input; an empty or invalid pattern has code `invalid_pattern` on field `pattern`.",
    {
        "detail": "The regular expression is not valid: missing ) at position 9",
        "code": "invalid_pattern",
        "errors": {"pattern": ["The regular expression is not valid: missing ) at position 9"]},
    },
)

_EXAMPLE = {
    "id": 3,
    "name": "No sponsored posts",
    "field": "title",
    "match": "any_words",
    "pattern": "sponsored advertisement",
    "action": "hide",
    "enabled": True,
    "subscription_id": None,
    "category_id": None,
    "position": 1,
    "hits": 12,
    "created_at": "2026-11-29T17:31:34Z",
    "updated_at": "2026-11-29T17:31:34Z",
}

_FIELD_HELP = (
    "Entry field matched: `title`, `content` (plain text of summary and content), `author`, "
    "`link`, `category`, or `any`."
)
_MATCH_HELP = (
    "`any_words` (any of the words), `all_words`, `phrase` (the words in order) or `regex` "
    "(evaluated with a time limit; a timeout is no match). Case is ignored; words match whole "
    "words except CJK."
)
_ACTION_HELP = "`read` (mark read), `star`, or `hide` (mark read and leave out of lists/counts)."


class RuleOutputSerializer(serializers.Serializer):
    """A rule. Scope: global when ``subscription_id`` and ``category_id`` are both null."""

    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    field = serializers.ChoiceField(choices=rules.FIELDS, help_text=_FIELD_HELP)
    match = serializers.ChoiceField(choices=rules.MATCHES, help_text=_MATCH_HELP)
    pattern = serializers.CharField()
    action = serializers.ChoiceField(choices=rules.ACTIONS, help_text=_ACTION_HELP)
    enabled = serializers.BooleanField()
    subscription_id = serializers.IntegerField(allow_null=True)
    category_id = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    hits = serializers.IntegerField(help_text="Entries this rule acted on so far.")
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class RuleInputSerializer(serializers.Serializer):
    """A new rule (or a draft to preview)."""

    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    field = serializers.ChoiceField(choices=rules.FIELDS, default="title", help_text=_FIELD_HELP)
    match = serializers.ChoiceField(
        choices=rules.MATCHES, default="any_words", help_text=_MATCH_HELP
    )
    pattern = serializers.CharField(max_length=500)
    action = serializers.ChoiceField(choices=rules.ACTIONS, default="read", help_text=_ACTION_HELP)
    enabled = serializers.BooleanField(default=True)
    subscription_id = id_field(required=False, allow_null=True, default=None)
    category_id = id_field(required=False, allow_null=True, default=None)


class RuleUpdateInputSerializer(serializers.Serializer):
    """Changes to a rule (any subset). Giving ``subscription_id`` or ``category_id`` replaces
    the scope; both null make it global."""

    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    field = serializers.ChoiceField(choices=rules.FIELDS, required=False)
    match = serializers.ChoiceField(choices=rules.MATCHES, required=False)
    pattern = serializers.CharField(max_length=500, required=False)
    action = serializers.ChoiceField(choices=rules.ACTIONS, required=False)
    enabled = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)
    subscription_id = id_field(required=False, allow_null=True)
    category_id = id_field(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        """Refuse an empty change."""
        if not attrs:
            raise serializers.ValidationError(_("Give at least one field to change."))
        return attrs


class PreviewEntrySerializer(serializers.Serializer):
    """An existing entry the rule matches."""

    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    feed_id = serializers.IntegerField()
    published_at = UtcDateTimeField()


class RulePreviewOutputSerializer(serializers.Serializer):
    """What a rule would do: ``scanned`` entries looked at (newest first, at most 5,000 in its
    scope), ``matched`` how many match, ``entries`` the first 50 matches."""

    scanned = serializers.IntegerField()
    matched = serializers.IntegerField()
    entries = PreviewEntrySerializer(many=True)


class RuleApplyOutputSerializer(serializers.Serializer):
    """How many existing entries the rule acted on."""

    matched = serializers.IntegerField()


def _call(fn: Any, **kwargs: Any) -> Any:
    """Call a rules service; an invalid pattern becomes a 400 on field ``pattern``."""
    try:
        return fn(**kwargs)
    except rules.InvalidPattern as exc:
        raise reader_error(exc, field="pattern") from exc


class RuleListView(ApiView):
    """List and create rules."""

    references_ids = True

    @extend_schema(
        operation_id="rules_list",
        tags=["rules"],
        summary="List rules",
        responses={200: RuleOutputSerializer(many=True)},
        examples=[OpenApiExample("Rules", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """The user's rules in order (position, id)."""
        return Response(RuleOutputSerializer(rules.rule_list(user=request.user), many=True).data)

    @extend_schema(
        operation_id="rules_create",
        tags=["rules"],
        summary="Create a rule (it applies to entries stored from now on)",
        request=RuleInputSerializer,
        responses={201: RuleOutputSerializer, 400: _INVALID_PATTERN},
        examples=[
            OpenApiExample(
                "Hide sponsored posts",
                value={"field": "title", "pattern": "sponsored", "action": "hide"},
                request_only=True,
            ),
            OpenApiExample("Created", value=_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        """Create; 404 when ``subscription_id``/``category_id`` is not the user's."""
        data = self.body(RuleInputSerializer, request.data)
        rule = _call(rules.rule_create, user=request.user, **data)
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailView(ApiView):
    """Retrieve, change and delete one rule."""

    references_ids = True

    @extend_schema(
        operation_id="rules_retrieve",
        tags=["rules"],
        summary="A rule",
        responses={200: RuleOutputSerializer},
        examples=[OpenApiExample("Rule", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """One rule; 404 when unknown or another user's."""
        return Response(RuleOutputSerializer(rules.rule_get(user=request.user, rule_id=pk)).data)

    @extend_schema(
        operation_id="rules_update",
        tags=["rules"],
        summary="Change a rule",
        request=RuleUpdateInputSerializer,
        responses={200: RuleOutputSerializer, 400: _INVALID_PATTERN},
        examples=[
            OpenApiExample("Disable", value={"enabled": False}, request_only=True),
            OpenApiExample("Updated", value=_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change any subset of the fields."""
        data = self.body(RuleUpdateInputSerializer, request.data)
        rule = _call(rules.rule_update, user=request.user, rule_id=pk, **data)
        return Response(RuleOutputSerializer(rule).data)

    @extend_schema(
        operation_id="rules_destroy",
        tags=["rules"],
        summary="Delete a rule (entries it hid stay hidden)",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete."""
        rules.rule_delete(user=request.user, rule_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _preview_body(preview: rules.RulePreview) -> dict:
    return RulePreviewOutputSerializer(
        {"scanned": preview.scanned, "matched": preview.matched, "entries": preview.entries}
    ).data


class RulePreviewView(ApiView):
    """Test a rule on existing entries without saving it."""

    references_ids = True

    @extend_schema(
        operation_id="rules_preview",
        tags=["rules"],
        summary="Preview a rule against existing entries (nothing is saved or changed)",
        request=RuleInputSerializer,
        responses={200: RulePreviewOutputSerializer, 400: _INVALID_PATTERN},
        examples=[
            OpenApiExample(
                "Draft",
                value={"field": "link", "match": "regex", "pattern": r"/sponsored/"},
                request_only=True,
            ),
            OpenApiExample(
                "Preview",
                value={
                    "scanned": 812,
                    "matched": 1,
                    "entries": [
                        {
                            "id": 175921860444161,
                            "title": "Partner content",
                            "url": "https://example.org/sponsored/1",
                            "feed_id": 9,
                            "published_at": "2026-11-29T10:00:00Z",
                        }
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Matches among the newest 5,000 entries of the rule's scope."""
        data = self.body(RuleInputSerializer, request.data)
        draft = _call(rules.rule_build, user=request.user, **data)
        return Response(_preview_body(rules.rule_preview(user=request.user, rule=draft)))


class RuleApplyView(ApiView):
    """Apply a saved rule to existing entries."""

    references_ids = True

    @extend_schema(
        operation_id="rules_apply",
        tags=["rules"],
        summary="Apply a rule to existing entries (newest 5,000 in its scope)",
        request=None,
        responses={200: RuleApplyOutputSerializer},
        examples=[OpenApiExample("Applied", value={"matched": 12}, response_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Mark read, star or hide the matching existing entries; returns how many."""
        matched = rules.rule_apply(user=request.user, rule_id=pk)
        return Response(RuleApplyOutputSerializer({"matched": matched}).data)
