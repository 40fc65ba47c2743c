"""/api/v1/opml/import/ (upload -> job, job status) and /api/v1/opml/export/.

Upload the file as multipart field ``file`` or as the raw body
(``text/x-opml``, ``application/xml``, ``text/xml``). Files over 5 MiB are
refused with 413 before they are read. The import runs as a background job
(``reader.services.opml_import_start``); poll ``GET /api/v1/opml/import/{id}/``
for progress (``processed`` of ``total``) and failures.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from reader import selectors, services
from reader.api.base import ApiView, UtcDateTimeField
from reader.api.errors import ApiError, PayloadTooLarge
from reader.api.schema import error_response
from reader.opml import MAX_BYTES, ImportSummary, import_job_summary

# Room for the multipart envelope around a file of MAX_BYTES.
_MULTIPART_OVERHEAD = 64 * 1024
OPML_TOO_LARGE = gettext_lazy("The OPML file is larger than 5 MiB.")


JOB_EXAMPLE = {
    "id": 3,
    "status": "running",
    "filename": "subscriptions.opml",
    "total": 120,
    "processed": 40,
    "progress": 0.33,
    "created_count": 35,
    "skipped_count": 4,
    "failures": [{"url": "ftp://example.net/feed", "reason": "Not an http(s) URL."}],
    "categories": ["Tech", "Tech / News"],
    "added_count": 34,
    "fetch_failed_count": 1,
    "fetch_pending_count": 12,
    "failed_count": 2,
    "subscribed_count": 4,
    "skipped_outline_count": 1,
    "outlines": [
        {
            "line": 4,
            "kind": "feed",
            "title": "Example",
            "url": "https://example.org/feed.xml",
            "folder": "Tech",
            "status": "added",
            "status_label": "added",
            "fetch": "pending",
        },
        {
            "line": 5,
            "kind": "other",
            "title": "A note",
            "folder": "Tech",
            "status": "skipped",
            "status_label": "skipped",
            "reason_code": "no_feed_url",
            "reason": "Not a feed: the outline has no feed address (xmlUrl).",
        },
    ],
    "warning": "",
    "error": "",
    "created_at": "2026-11-29T17:31:34Z",
    "started_at": "2026-11-29T17:31:35Z",
    "finished_at": None,
}


class OpmlBodyParser(BaseParser):
    """A raw OPML document as the request body; returns ``{"file": bytes}`` (at most 5 MiB)."""

    media_type = "text/x-opml"
    media_types = ("text/x-opml", "application/xml", "text/xml")

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None):
        """Read at most MAX_BYTES + 1 bytes; more is a 413."""
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BYTES:
            raise PayloadTooLarge(OPML_TOO_LARGE)
        return {"file": data}


def _raw_parser(media_type: str) -> type[OpmlBodyParser]:
    """An OpmlBodyParser class for one media type (DRF matches parsers by ``media_type``)."""
    name = "OpmlBodyParser_" + media_type.replace("/", "_").replace("-", "_")
    return type(name, (OpmlBodyParser,), {"media_type": media_type})


class FailureSerializer(serializers.Serializer):
    """A feed of the file that could not be subscribed to, and why."""

    url = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class OutlineReportSerializer(serializers.Serializer):
    """What the import did with one outline of the file (``reader.opml.ImportSummary``)."""

    line = serializers.IntegerField(required=False, help_text="1-based line in the file.")
    kind = serializers.CharField(help_text="feed, folder, empty_folder or other.")
    title = serializers.CharField(required=False)
    url = serializers.CharField(
        required=False, help_text="Feed address (a feed: URL as http(s)); others' url."
    )
    written_url = serializers.CharField(required=False, help_text="xmlUrl as the file has it.")
    folder = serializers.CharField(required=False, help_text="Folder path, e.g. 'Tech / News'.")
    status = serializers.CharField(
        help_text="added, subscribed (already followed), skipped, failed, fetch_failed "
        "(added, then its first fetch failed) or folder."
    )
    status_label = serializers.CharField(help_text="status in the user's language.")
    fetch = serializers.CharField(
        required=False, help_text="Added feeds: ok, pending or failed (first fetch)."
    )
    reason_code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False, help_text="Why, in plain words.")


class ImportJobOutputSerializer(serializers.Serializer):
    """An OPML import and its progress.

    ``created_count``, ``skipped_count`` and ``failures`` are the job's own counts
    (subscriptions created; duplicates and feeds already followed; feeds that could not
    be subscribed to). ``added_count``, ``fetch_failed_count``, ``fetch_pending_count``,
    ``failed_count``, ``subscribed_count`` and ``skipped_outline_count`` follow the added
    feeds' first fetches as they finish (``reader.opml.import_job_summary``); ``outlines``
    accounts for every outline.
    """

    id = serializers.IntegerField()
    status = serializers.CharField(help_text="pending, running, done or failed.")
    filename = serializers.CharField(allow_blank=True)
    total = serializers.IntegerField(help_text="Feed outlines in the file.")
    processed = serializers.IntegerField(help_text="Handled so far.")
    progress = serializers.SerializerMethodField(help_text="processed / total, 0..1.")
    created_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField(help_text="Duplicates and feeds already followed.")
    failures = serializers.SerializerMethodField()
    categories = serializers.ListField(child=serializers.CharField())
    added_count = serializers.SerializerMethodField(
        help_text="Subscribed and not failing (first fetch done or pending)."
    )
    fetch_failed_count = serializers.SerializerMethodField(
        help_text="Subscribed, but the feed's first fetch failed."
    )
    fetch_pending_count = serializers.SerializerMethodField(
        help_text="Subscribed, first fetch not finished yet."
    )
    failed_count = serializers.SerializerMethodField(
        help_text="Could not be subscribed to, plus fetch_failed_count."
    )
    subscribed_count = serializers.SerializerMethodField(help_text="Feeds already followed.")
    skipped_outline_count = serializers.SerializerMethodField(
        help_text="Outlines skipped: listed twice, without a feed address, empty folders."
    )
    outlines = serializers.SerializerMethodField()
    warning = serializers.CharField(allow_blank=True, help_text="Where a malformed file broke.")
    error = serializers.CharField(allow_blank=True)
    created_at = UtcDateTimeField()
    started_at = UtcDateTimeField(allow_null=True)
    finished_at = UtcDateTimeField(allow_null=True)

    def summary(self, job: Any) -> ImportSummary:
        """``import_job_summary(job)``, computed once per job and serialization."""
        cache = self.context.setdefault("import_summaries", {})
        if job.pk not in cache:
            cache[job.pk] = import_job_summary(job)
        return cache[job.pk]

    def get_added_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).added

    def get_fetch_failed_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).fetch_failed

    def get_fetch_pending_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).fetch_pending

    def get_failed_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).failed

    def get_subscribed_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).subscribed

    def get_skipped_outline_count(self, job: Any) -> int:
        """See the field."""
        return self.summary(job).skipped

    def get_outlines(self, job: Any) -> list[dict[str, Any]]:
        """Every outline of the file, in order, with what was done and why."""
        return self.summary(job).outlines

    def get_progress(self, job: Any) -> float:
        """1.0 when done or empty."""
        if job.status == "done" or not job.total:
            return 1.0 if job.status == "done" else 0.0
        return round(min(job.processed / job.total, 1.0), 4)

    def get_failures(self, job: Any) -> list[dict[str, str]]:
        """``[{url, reason}]``."""
        return [
            {"url": str(f.get("url", "")), "reason": str(f.get("reason", ""))}
            for f in job.failures or []
            if isinstance(f, dict)
        ]


extend_schema_field(OpenApiTypes.DOUBLE)(ImportJobOutputSerializer.get_progress)
extend_schema_field(FailureSerializer(many=True))(ImportJobOutputSerializer.get_failures)
extend_schema_field(OutlineReportSerializer(many=True))(ImportJobOutputSerializer.get_outlines)
for _count in (
    "added",
    "fetch_failed",
    "fetch_pending",
    "failed",
    "subscribed",
    "skipped_outline",
):
    extend_schema_field(OpenApiTypes.INT)(getattr(ImportJobOutputSerializer, f"get_{_count}_count"))


class OpmlUploadSerializer(serializers.Serializer):
    """Multipart upload: the OPML file (at most 5 MiB)."""

    file = serializers.FileField()


class OpmlImportView(ApiView):
    """Upload an OPML file (starts a job); list the user's import jobs."""

    parser_classes = [MultiPartParser, *(_raw_parser(t) for t in OpmlBodyParser.media_types)]

    @extend_schema(
        operation_id="opml_import_list",
        tags=["opml"],
        summary="List OPML import jobs",
        responses={200: ImportJobOutputSerializer(many=True)},
        examples=[OpenApiExample("Jobs", value=JOB_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """The user's import jobs, newest first."""
        jobs = selectors.import_job_list(user=request.user)[:100]
        return Response(ImportJobOutputSerializer(jobs, many=True).data)

    @extend_schema(
        operation_id="opml_import_create",
        tags=["opml"],
        summary="Import an OPML file (background job)",
        request={
            "multipart/form-data": OpmlUploadSerializer,
            "text/x-opml": OpenApiTypes.BINARY,
            "application/xml": OpenApiTypes.BINARY,
            "text/xml": OpenApiTypes.BINARY,
        },
        responses={
            202: ImportJobOutputSerializer,
            400: error_response(
                400, "No file, or not an OPML file that can be read (code `opml_invalid`)."
            ),
        },
        examples=[
            OpenApiExample(
                "Queued",
                value={**JOB_EXAMPLE, "status": "pending", "processed": 0, "progress": 0.0},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Check the file now (400/413), then subscribe in the background; 202 with the job."""
        if _content_length(request) > MAX_BYTES + _MULTIPART_OVERHEAD:
            raise PayloadTooLarge(OPML_TOO_LARGE)
        upload = request.data.get("file")
        if upload is None:
            raise ApiError(
                status_code=400,
                detail=_("Send the OPML file as multipart field `file` or as the body."),
                errors={"file": [_("No file was submitted.")]},
            )
        filename = ""
        if hasattr(upload, "read"):
            if upload.size > MAX_BYTES:
                raise PayloadTooLarge(OPML_TOO_LARGE)
            filename = upload.name or ""
            upload = upload.read()
        elif isinstance(upload, str):
            upload = upload.encode()
        job = services.opml_import_start(user=request.user, data=upload, filename=filename)
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class OpmlImportDetailView(ApiView):
    """Progress and failures of one import job."""

    @extend_schema(
        operation_id="opml_import_retrieve",
        tags=["opml"],
        summary="An OPML import job's status",
        responses={200: ImportJobOutputSerializer},
        examples=[OpenApiExample("Running", value=JOB_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> Response:
        """404 when unknown or another user's."""
        job = selectors.import_job_get(user=request.user, job_id=pk)
        return Response(ImportJobOutputSerializer(job).data)


class OpmlRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: text/x-opml``; the OPML itself is sent as an HttpResponse.

    Anything else given to it (an error body) is written as JSON text.
    """

    media_type = "text/x-opml"
    format = "opml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        """Strings as UTF-8; other data as JSON."""
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


class OpmlExportView(ApiView):
    """The user's subscriptions as OPML 2.0."""

    renderer_classes = [JSONRenderer, OpmlRenderer]

    @extend_schema(
        operation_id="opml_export",
        tags=["opml"],
        summary="Export subscriptions as OPML",
        responses={
            (200, "text/x-opml"): OpenApiResponse(
                OpenApiTypes.STR,
                description="OPML 2.0 document (attachment).",
                examples=[
                    OpenApiExample(
                        "OPML",
                        value='<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">'
                        "<head><title>Tidings subscriptions of alice</title></head><body>"
                        '<outline text="Tech" title="Tech"><outline type="rss" text="Example" '
                        'title="Example" xmlUrl="https://example.org/feed.xml"/></outline>'
                        "</body></opml>",
                    )
                ],
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """Download ``tidings-subscriptions.opml``."""
        body = services.opml_export(user=request.user)
        response = HttpResponse(body, content_type="text/x-opml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tidings-subscriptions.opml"'
        return response
