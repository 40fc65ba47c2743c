"""A URLconf for the authentication tests: one DRF view that says who is calling, behind
the two authentication classes of accounts.authentication (used with pytest.mark.urls)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication, ClientPasswordBasicAuthentication


class WhoAmI(APIView):
    authentication_classes = [BearerTokenAuthentication, ClientPasswordBasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.get_username(), "auth": request.auth})


urlpatterns = [
    path("whoami/", WhoAmI.as_view()),
    path("", include("reader.project.urls")),
]
