"""/api/v1/tokens/: the user's personal API tokens (list, create, revoke).

Calls accounts.services (token_list, token_create, token_revoke). The raw token
is in the creation response only; the list shows its prefix.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services as account_services
from reader.api.base import ApiView, UtcDateTimeField

_TOKEN_EXAMPLE = {
    "id": 3,
    "name": "NetNewsWire on my laptop",
    "prefix": "tid_Xk2a",
    "created_at": "2026-11-29T17:31:34.123456Z",
    "last_used_at": None,
}


class TokenOutputSerializer(serializers.Serializer):
    """A token without its secret."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First 8 characters of the token, to recognise it.")
    created_at = UtcDateTimeField()
    last_used_at = UtcDateTimeField(allow_null=True, help_text="Minute resolution.")


class TokenCreatedSerializer(TokenOutputSerializer):
    """A new token, with the raw secret shown this once."""

    token = serializers.CharField(help_text="The secret: send as `Authorization: Bearer <token>`.")


class TokenCreateInputSerializer(serializers.Serializer):
    """Name of the new token (for example the app that will use it)."""

    name = serializers.CharField(max_length=100)


class TokenListView(ApiView):
    """The user's tokens, newest first; POST creates one."""

    @extend_schema(
        operation_id="tokens_list",
        tags=["tokens"],
        summary="List API tokens",
        responses={200: TokenOutputSerializer(many=True)},
        examples=[OpenApiExample("Tokens", value=_TOKEN_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """List the user's tokens (no secrets)."""
        tokens = account_services.token_list(user=request.user)
        return Response(TokenOutputSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        tags=["tokens"],
        summary="Create an API token (the secret is shown once)",
        request=TokenCreateInputSerializer,
        responses={201: TokenCreatedSerializer},
        examples=[
            OpenApiExample("New token", value={"name": "NetNewsWire"}, request_only=True),
            OpenApiExample(
                "Created",
                value={**_TOKEN_EXAMPLE, "token": "tid_Xk2a..."},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Create a token; the response carries the raw token, never shown again."""
        data = self.body(TokenCreateInputSerializer, request.data)
        token, raw = account_services.token_create(user=request.user, name=data["name"])
        body = TokenOutputSerializer(token).data | {"token": raw}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(ApiView):
    """Revoke one of the user's tokens."""

    @extend_schema(
        operation_id="tokens_revoke",
        tags=["tokens"],
        summary="Revoke an API token",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete the token; 404 when unknown or another user's."""
        account_services.token_revoke(user=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
